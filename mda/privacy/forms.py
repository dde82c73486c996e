"""Forms of the privacy pages: audit filter, person search, destruction on request."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError


class AuditFilterForm(FlaskForm):
    user = StringField("Gebruiker (e-mailadres of deel daarvan)", validators=[Optional()])
    case = StringField("Casusnummer (bijvoorbeeld MDA-2026-0001)", validators=[Optional()])
    #: the internal id still works in links (not shown in the form)
    case_id = IntegerField("Casus (intern id)", validators=[
        Optional(), NumberRange(min=1, message="Vul een positief getal in.")])
    date_from = DateField("Vanaf", validators=[Optional()])
    date_to = DateField("Tot en met", validators=[Optional()])
    action = SelectField("Actie", validators=[Optional()])
    submit = SubmitField("Filteren")

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("De einddatum ligt vóór de begindatum.")


class PersonSearchForm(FlaskForm):
    bsn = StringField("BSN", validators=[Optional()])
    name = StringField("Naam (samen met geboortedatum)", validators=[Optional()])
    date_of_birth = DateField("Geboortedatum", validators=[Optional()])
    reference = StringField("Casusnummer (bijvoorbeeld MDA-2026-0001)", validators=[Optional()])
    submit = SubmitField("Zoeken")


class DestroyForm(FlaskForm):
    requested_by = StringField("Wie vroeg om vernietiging?", validators=[DataRequired("Dit veld is verplicht.")])
    requested_on = DateField("Datum van het verzoek", validators=[DataRequired("Dit veld is verplicht.")])
    reason = TextAreaField("Verzoek en weerlegging", validators=[DataRequired("Dit veld is verplicht.")])
    refuted = BooleanField("Het vermoeden is weerlegd (bijvoorbeeld na onderzoek door Veilig Thuis)")
    submit = SubmitField("Gegevens definitief vernietigen")


class ReviewForm(FlaskForm):
    judgement = RadioField("Oordeel", choices=[("terecht", "Terecht"), ("onterecht", "Onterecht")],
                           validators=[DataRequired("Kies terecht of onterecht.")])
    comment = TextAreaField("Toelichting", validators=[DataRequired("Licht uw oordeel toe."), Length(max=2000)])
    submit = SubmitField("Oordeel vastleggen")


class FollowUpForm(FlaskForm):
    follow_up = TextAreaField("Opvolging (bijvoorbeeld: gesprek met de teamleider, melding aan de organisatie)",
                              validators=[DataRequired("Beschrijf de opvolging."), Length(max=2000)])
    submit = SubmitField("Opvolging vastleggen")


class ConfirmPostForm(FlaskForm):
    submit = SubmitField("Bevestigen")
