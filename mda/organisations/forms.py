"""Admin forms for organisations and accounts."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from mda.auth.models import ROLES
from mda.organisations.models import ORGANISATION_TYPES

REQUIRED = "Dit veld is verplicht."


class OrganisationForm(FlaskForm):
    name = StringField("Naam", validators=[DataRequired(REQUIRED), Length(max=200)])
    type_code = SelectField("Type", choices=[(k, f"{v} ({k})") for k, v in ORGANISATION_TYPES.items()])
    region_id = SelectField("Regio", coerce=int)
    active = BooleanField("Actief", default=True)
    mailbox = EmailField("Organisatiemailbox (optioneel)",
                         description="Ontvangt, naast de teamleiders, de herinneringen voor acties waarvan de "
                                     "organisatie als geheel eigenaar is.",
                         validators=[Optional(), Email("Vul een geldig e-mailadres in."), Length(max=254)])
    submit = SubmitField("Opslaan")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    email = EmailField("E-mailadres", validators=[DataRequired(REQUIRED),
                                                  Email("Vul een geldig e-mailadres in."),
                                                  Length(max=254)])
    name = StringField("Naam", validators=[DataRequired(REQUIRED), Length(max=200)])
    organisation_id = SelectField("Organisatie", coerce=int)
    roles = MultiCheckboxField("Rollen", choices=list(ROLES.items()),
                               validators=[DataRequired("Kies minstens één rol.")])
    submit = SubmitField("Opslaan")


class UserEditForm(UserForm):
    """Editing an account: the e-mail address is the login name and is not changed (nor re-validated)
    here, so that accounts on reserved domains (the demo's ``.invalid``) stay editable."""

    email = None
