"""The administrator's form for an organisation's identity provider."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

REQUIRED = "Dit veld is verplicht."


class ProviderForm(FlaskForm):
    organisation_id = SelectField("Organisatie", coerce=int)
    issuer = StringField("Issuer (adres van de inlogdienst)", validators=[DataRequired(REQUIRED), Length(max=500)])
    client_id = StringField("Client-id", validators=[DataRequired(REQUIRED), Length(max=255)])
    client_secret = PasswordField("Clientgeheim (leeg laten om het opgeslagen geheim te houden)",
                                  validators=[Optional(), Length(max=1000)])
    email_claim = StringField("Claim met het e-mailadres", default="email",
                              validators=[DataRequired(REQUIRED), Length(max=100)])
    name_claim = StringField("Claim met de naam", default="name", validators=[DataRequired(REQUIRED), Length(max=100)])
    require_mfa = BooleanField("Tweede factor bij de inlogdienst verplicht", default=True)
    strong_acr_values = StringField("acr-waarden die als tweede factor gelden (gescheiden door spaties)",
                                    validators=[Optional(), Length(max=500)])
    submit = SubmitField("Opslaan")
