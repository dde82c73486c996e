"""Forms of the meeting pages. Times are entered as Europe/Amsterdam local date and time."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from mda.core.forms import ReasonConfirmForm
from mda.core.input_guard import form_id
from mda.meetings.changes import SCOPES
from mda.meetings.feeds import REMINDER_CHOICES
from mda.meetings.models import ATTENDANCE, FREQUENCIES, RESPONSES
from mda.organisations.forms import MultiCheckboxField

REQUIRED = "Dit veld is verplicht."
DST_CHOICES = [("", "Niet van toepassing"), ("zomertijd", "Zomertijd (+02:00), de eerste keer"),
               ("wintertijd", "Wintertijd (+01:00), de tweede keer")]


class AgendaRowForm(Form):
    """One standard agenda item (the case block is marked with ``cases``)."""

    title = StringField("Agendapunt", validators=[Optional(), Length(max=200)])
    minutes = IntegerField("Minuten", validators=[Optional(), NumberRange(0, 480, "Kies 0 tot 480 minuten.")])
    cases = HiddenField()


class MeetingForm(FlaskForm):
    type_code = HiddenField()
    title = StringField("Titel (zonder namen van betrokkenen)", validators=[DataRequired(REQUIRED), Length(max=200)])
    day = DateField("Datum", validators=[DataRequired("Kies een datum (DD-MM-JJJJ).")])
    start_time = TimeField("Begintijd", validators=[DataRequired("Kies een begintijd (UU:MM).")])
    end_time = TimeField("Eindtijd", validators=[DataRequired("Kies een eindtijd (UU:MM).")])
    dst = RadioField("Bij de wisseling naar wintertijd komt een tijd tussen 02:00 en 03:00 twee keer voor",
                     choices=DST_CHOICES, default="", validators=[Optional()])
    location = StringField("Locatie (zaal en adres van het overleg; verplicht zonder online link)",
                           validators=[Length(max=200)])
    online_link = StringField("Link voor online deelname (https://…)", validators=[Length(max=500)])
    chair_id = SelectField("Voorzitter", coerce=int, validators=[Optional()])
    minute_taker_id = SelectField("Notulist", coerce=int, validators=[Optional()])
    case_ids = MultiCheckboxField("Casussen op de agenda", coerce=int, validators=[Optional()])
    #: any other open case by its reference (the list shows the most urgent and newest): see references()
    case_references = StringField("Andere casussen: casusnummers, gescheiden door komma's", validators=[
        Optional(), Length(max=400, message="Gebruik hoogstens 400 tekens.")])
    escalation_id = HiddenField()  # planned from an escalation: its deciders and parties are invited
    invite_circle = BooleanField("De kring van elke casus uitnodigen (ieder alleen voor de eigen casus)")
    case_minutes = IntegerField("Minuten per casus", validators=[Optional(), NumberRange(1, 480,
                                                                                         "Kies 1 tot 480 minuten.")])
    agenda = FieldList(FormField(AgendaRowForm), min_entries=0)
    deadline_day = DateField("Updates van partners uiterlijk op (datum)", validators=[Optional()])
    deadline_time = TimeField("om (tijd)", validators=[Optional()])
    frequency = SelectField("Herhalen", choices=[("", "Niet herhalen"), *FREQUENCIES.items()], default="")
    until = DateField("Tot en met (einddatum van de reeks)", validators=[Optional()])
    scope = RadioField("Wijziging geldt voor", choices=list(SCOPES.items()), default="deze")
    confirm_conflicts = BooleanField("Ik heb de waarschuwingen gezien; toch opslaan")
    submit = SubmitField("Opslaan")


class InviteForm(FlaskForm):
    user_id = SelectField("Professional", coerce=int, validators=[DataRequired("Kies wie u uitnodigt.")])
    item_ids = MultiCheckboxField("Voor de casussen (niets aangevinkt: het hele overleg)", coerce=int,
                                  validators=[Optional()])
    required = BooleanField("Aanwezigheid vereist", default=True)
    following = BooleanField("Ook voor de volgende bijeenkomsten van de reeks")
    submit = SubmitField("Uitnodigen")


class AnswerForm(FlaskForm):
    response = RadioField("Uw antwoord", choices=[(k, v) for k, v in RESPONSES.items() if k != "open"],
                          validators=[DataRequired("Kies een antwoord.")])
    delegate_to_id = SelectField("Delegeren aan (collega van uw organisatie)", coerce=int, validators=[Optional()])
    #: instead of the list, for an organisation too large to list (see invitations.COLLEAGUE_LIST_LIMIT)
    delegate_email = StringField("Delegeren aan (e-mailadres van een collega van uw organisatie)",
                                 validators=[Optional(), Length(max=254, message="Hoogstens 254 tekens.")])
    following = BooleanField("Ook voor de volgende bijeenkomsten van de reeks")
    submit = SubmitField("Antwoord versturen")


class AttendanceForm(FlaskForm):
    """Rendered by hand: one select ``attendance-<invitation id>`` per invitee."""

    submit = SubmitField("Aanwezigheid opslaan")


ATTENDANCE_CHOICES = [("", "Nog niet vastgelegd"), *ATTENDANCE.items()]


def _case_id(value) -> int:
    """A case id from the browser, or 0 when the value names none; the page's own choices are ids already."""
    return value if type(value) is int else form_id(value)


def references(text: str | None) -> list[str]:
    """The case references typed in *text* (separated by commas, semicolons or spaces), upper case, each once."""
    return list(dict.fromkeys(r for r in re.split(r"[\s,;]+", (text or "").upper()) if r))


class AddCaseForm(FlaskForm):
    """A case for the agenda: picked from a short list of the coordinator's open cases, or by its reference (a
    coordinator has hundreds; a list of them all helps nobody find one)."""

    # any value the browser sends is an id or 0 (none picked), so that one message says what to do
    case_id = SelectField("Casus", coerce=_case_id, validate_choice=False, validators=[Optional()])
    reference = StringField("Of het casusnummer", validators=[Optional(), Length(max=20, message=(
        "Een casusnummer heeft hoogstens 20 tekens."))], filters=[lambda v: (v or "").strip()])
    minutes = IntegerField("Minuten", validators=[Optional(), NumberRange(1, 480, "Kies 1 tot 480 minuten.")])
    submit = SubmitField("Op de agenda zetten")

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.case_id.data and not self.reference.data:
            self.case_id.errors.append("Kies een casus of typ het casusnummer.")
            return False
        if self.case_id.data and self.reference.data:
            self.reference.errors.append("Kies een casus óf typ een casusnummer, niet allebei.")
            return False
        return True


class UpdateForm(FlaskForm):
    content = TextAreaField("Uw update: wat is er gebeurd sinds de vorige keer, en hoe staan uw acties ervoor?",
                            validators=[DataRequired("Schrijf uw update."), Length(max=8000)])
    submit = SubmitField("Update opslaan")


class CancelForm(ReasonConfirmForm):
    scope = RadioField("Annuleren", choices=[("deze", "Alleen deze bijeenkomst"),
                                             ("reeks", "Alle komende bijeenkomsten van de reeks")], default="deze")
    submit = SubmitField("Overleg annuleren")


class FeedForm(FlaskForm):
    reminders = MultiCheckboxField("Herinneringen (hoogstens drie)", coerce=int,
                                   choices=list(REMINDER_CHOICES.items()), validators=[Optional()])
    submit = SubmitField("Herinneringen opslaan")
