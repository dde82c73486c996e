"""Forms for intake, triage and case work (choices are filled in by the views).

Choice fields whose options depend on the case (recipients, categories, persons) do not
reject unknown values themselves: the services do, with a message that names the
problem ("niet in de kring: ..."), so the page and the API answer alike.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from mda.cases import catalogue, validation
from mda.cases.models import PERSON_ROLES, PHASES, URGENCIES
from mda.organisations.forms import MultiCheckboxField

REQUIRED = "Dit veld is verplicht."
INTAKE_PERSON_ROWS = 4


def _birth_date(_form, field):
    if problem := validation.birth_date_problem(field.data):
        raise ValidationError(problem)


def _bsn(_form, field):
    if problem := validation.bsn_problem(field.data):
        raise ValidationError(problem)


def _not_future(label: str):
    def check(_form, field):
        if problem := validation.not_in_future(field.data, label):
            raise ValidationError(problem)

    return check


def category_choices() -> list[tuple[str, str]]:
    """The catalogue as choices, special categories marked."""
    return [(c.code, c.name + (" (bijzonder gegeven)" if c.special else ""))
            for c in catalogue.categories().values()]


class PersonRowForm(Form):
    """One person in the intake form; an empty row is ignored."""

    class Meta:
        locales = ("nl",)  # a nested plain Form does not get Flask-WTF's translations

    role = SelectField("Rol", choices=list(PERSON_ROLES.items()), validate_choice=False)  # checked for filled rows
    name = StringField("Naam", validators=[Length(max=200)])
    date_of_birth = DateField("Geboortedatum", validators=[Optional(), _birth_date])
    bsn = StringField("BSN (optioneel)", validators=[Optional(), _bsn])
    address = StringField("Adres", validators=[Length(max=500)])

    def is_empty(self) -> bool:
        return not (self.name.data or "").strip() and not self.date_of_birth.data and not (self.bsn.data or "").strip()

    def validate_name(self, field):
        if not (field.data or "").strip() and not self.is_empty():
            raise ValidationError("Vul de naam in (of maak de hele rij leeg).")


class IntakeForm(FlaskForm):
    reason = TextAreaField("Reden van de aanmelding", validators=[DataRequired(REQUIRED), Length(max=4000)])
    goal = TextAreaField("Doel van het overleg", validators=[DataRequired(REQUIRED), Length(max=4000)])
    urgency = SelectField("Urgentie", choices=list(URGENCIES.items()))
    partners = MultiCheckboxField("Partners om te betrekken", coerce=int, validate_choice=False)
    # the label names one row: the error summary says "Persoon 2, Geboortedatum: ..."
    persons = FieldList(FormField(PersonRowForm), "Persoon", min_entries=INTAKE_PERSON_ROWS, max_entries=12)
    submit = SubmitField("Aanmelding versturen")


class ConfirmActionForm(FlaskForm):
    """A POST button with nothing but the CSRF token."""

    submit = SubmitField("Bevestigen")


class DeclineForm(FlaskForm):
    reason = TextAreaField("Reden van de afwijzing (de melder krijgt deze te zien)",
                           validators=[DataRequired(REQUIRED), Length(min=10, max=2000,
                                                                      message="Gebruik 10 tot 2000 tekens.")])
    submit = SubmitField("Aanmelding afwijzen")


class PersonForm(FlaskForm):
    role = SelectField("Rol", choices=list(PERSON_ROLES.items()))
    name = StringField("Naam", validators=[DataRequired(REQUIRED), Length(max=200)])
    date_of_birth = DateField("Geboortedatum", validators=[Optional(), _birth_date])
    bsn = StringField("BSN (optioneel)", validators=[Optional(), _bsn])
    address = StringField("Adres", validators=[Length(max=500)])
    submit = SubmitField("Persoon toevoegen")


class ItemForm(FlaskForm):
    category = SelectField("Categorie", validate_choice=False)
    content = TextAreaField("Inhoud", validators=[DataRequired(REQUIRED), Length(max=8000)])
    recorded_on = DateField("Datum van het gegeven", validators=[DataRequired(REQUIRED),
                                                                  _not_future("De datum van het gegeven")])
    persons = MultiCheckboxField("Over wie gaat dit gegeven?", coerce=int, validate_choice=False)
    submit = SubmitField("Gegeven toevoegen")


class ConsentForm(FlaskForm):
    person_id = SelectField("Persoon", coerce=int, validate_choice=False)
    given_by_kind = RadioField("Wie geeft toestemming?", default="zelf",
                               choices=[("zelf", "De betrokkene zelf"),
                                        ("vertegenwoordiger", "De wettelijk vertegenwoordiger (bijvoorbeeld "
                                                              "een ouder met gezag voor een kind)")])
    representative = StringField("Naam van de wettelijk vertegenwoordiger", validators=[Length(max=150)])
    purpose = TextAreaField("Doel", validators=[DataRequired(REQUIRED), Length(max=1000)])
    method = RadioField("Hoe verkregen?", choices=[("mondeling", "Mondeling"), ("schriftelijk", "Schriftelijk")],
                        validators=[DataRequired("Kies hoe de toestemming is verkregen.")])
    recipients = MultiCheckboxField("Ontvangende organisaties (uit de kring)", coerce=int, validate_choice=False)
    categories = MultiCheckboxField("Categorieën gegevens", validate_choice=False)
    given_on = DateField("Gegeven op", validators=[DataRequired(REQUIRED),
                                                   _not_future("De datum van de toestemming")])
    valid_until = DateField("Geldig tot (optioneel)", validators=[Optional()])
    submit = SubmitField("Toestemming vastleggen")


class WithdrawForm(FlaskForm):
    reason = StringField("Reden van intrekking", validators=[DataRequired(REQUIRED), Length(max=1000)])
    submit = SubmitField("Intrekken")


class DutyConflictForm(FlaskForm):
    organisation_id = SelectField("Ontvangende organisatie", coerce=int, validate_choice=False)
    category = SelectField("Categorie", validate_choice=False)
    person_id = SelectField("Persoon", coerce=int, validate_choice=False)
    reason = TextAreaField("Afweging: welk ernstig gevaar, en waarom kan toestemming niet worden gevraagd?",
                           validators=[DataRequired(REQUIRED), Length(max=2000)])
    valid_until = DateField("Geldig tot (optioneel)", validators=[Optional()])
    submit = SubmitField("Besluit vastleggen")


class BreakGlassForm(FlaskForm):
    reason = TextAreaField("Waarom is er acuut gevaar?", validators=[DataRequired(REQUIRED), Length(max=2000)])
    submit = SubmitField("Gegeven openen (doorbraak)")


class PhaseForm(FlaskForm):
    phase = SelectField("Nieuwe fase", choices=list(PHASES.items()))
    reason = TextAreaField("Reden van afsluiten (alleen bij 'Afgesloten')", validators=[Length(max=1000)])
    submit = SubmitField("Fase wijzigen")


class CircleOrganisationForm(FlaskForm):
    organisation_id = SelectField("Organisatie", coerce=int, validate_choice=False)
    submit = SubmitField("Organisatie toevoegen")


class CircleMemberForm(FlaskForm):
    user_id = SelectField("Professional", coerce=int, validate_choice=False)
    submit = SubmitField("Professional toevoegen")


class ItemEditForm(FlaskForm):
    content = TextAreaField("Inhoud", validators=[DataRequired(REQUIRED), Length(max=8000)])
    recorded_on = DateField("Datum van het gegeven", validators=[DataRequired(REQUIRED),
                                                                  _not_future("De datum van het gegeven")])
    submit = SubmitField("Correctie opslaan")


class PersonEditForm(FlaskForm):
    name = StringField("Naam", validators=[DataRequired(REQUIRED), Length(max=200)])
    date_of_birth = DateField("Geboortedatum", validators=[Optional(), _birth_date])
    address = StringField("Adres", validators=[Length(max=500)])
    submit = SubmitField("Correctie opslaan")


class ReasonGoalForm(FlaskForm):
    reason = TextAreaField("Reden van de casus", validators=[DataRequired(REQUIRED), Length(max=4000)])
    goal = TextAreaField("Doel", validators=[DataRequired(REQUIRED), Length(max=4000)])
    submit = SubmitField("Opslaan")


class ConsentEditForm(FlaskForm):
    purpose = TextAreaField("Doel", validators=[DataRequired(REQUIRED), Length(max=1000)])
    method = RadioField("Hoe verkregen?", choices=[("mondeling", "Mondeling"), ("schriftelijk", "Schriftelijk")],
                        validators=[DataRequired("Kies hoe de toestemming is verkregen.")])
    submit = SubmitField("Correctie opslaan")
