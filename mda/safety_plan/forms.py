"""Forms of the plan pages (choices that depend on the case are filled in by the views).

Owners and parties are one select each: ``gezin``, ``u:<user id>`` or ``o:<organisation id>``;
the services check that they belong to the circle, so page and API refuse alike.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from mda.cases.forms import category_choices
from mda.core.forms import LongSelect
from mda.safety_plan.models import ACTION_STATUSES, APPROVAL_KINDS, FAILURE_REASONS, SECTIONS

REQUIRED = "Dit veld is verplicht."


class DutchDateField(DateField):
    """A date field whose parse error is Dutch."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("Vul een geldige datum in (dd-mm-jjjj).") from None


class EntryForm(FlaskForm):
    """A worry, strength, condition, goal, signal or monitoring line."""

    section = SelectField("Onderdeel", choices=list(SECTIONS.items()), validators=[DataRequired(REQUIRED)])
    text = TextAreaField("Tekst", validators=[DataRequired("Vul de tekst in; een lege regel wordt niet opgeslagen."),
                                              Length(max=4000)])
    detail = TextAreaField("Toelichting (bij signalen: wat gebeurt er dan; bij monitoring: welke voorwaarde)",
                           validators=[Optional(), Length(max=4000)])
    party = SelectField("Van wie (genoemd door, wie handelt, wie houdt toezicht)", choices=[], validate_choice=False,
                        widget=LongSelect())
    category = SelectField("Categorie", choices=[], validate_choice=False,
                           description="Raakt de regel een bijzonder gegeven (bijvoorbeeld GGZ-behandeling)? "
                                       "Kies dan die categorie: alleen wie daar een grondslag voor heeft, ziet hem.")


class EntryEditForm(FlaskForm):
    """Changing an entry's text, detail and party."""

    text = TextAreaField("Tekst", validators=[DataRequired("Vul de tekst in; een lege regel wordt niet opgeslagen."),
                                              Length(max=4000)])
    detail = TextAreaField("Toelichting", validators=[Optional(), Length(max=4000)])
    party = SelectField("Van wie", choices=[], validate_choice=False)


class ActionForm(FlaskForm):
    """An action: description, one owner, deadline, category."""

    description = TextAreaField("Beschrijving van de actie", validators=[
        DataRequired("Beschrijf de actie; een actie zonder beschrijving wordt niet opgeslagen."), Length(max=2000)])
    # the circle's professionals and organisations: long lists, written by the one-pass widget (same HTML)
    owner = SelectField("Eigenaar", choices=[], validate_choice=False, widget=LongSelect(), validators=[DataRequired(
        "Kies een eigenaar: een professional of organisatie uit de kring, of het gezin.")])
    deadline = DutchDateField("Termijn", validators=[InputRequired("Vul een termijn (datum) in.")])
    category = SelectField("Categorie", choices=[], validate_choice=False)
    confirm_past = BooleanField("Ja, de termijn ligt bewust vóór vandaag")

    def setup(self, owner_choices, with_category: bool = True) -> ActionForm:
        self.owner.choices = [("", "Kies een eigenaar")] + owner_choices
        self.category.choices = category_choices()
        if not self.is_submitted() and not self.category.data:
            self.category.data = "veiligheidsplan"
        return self


class StatusForm(FlaskForm):
    """A status change with its comment."""

    status = SelectField("Nieuwe status", choices=list(ACTION_STATUSES.items()))
    failure_reason = SelectField("Reden (bij 'niet gelukt')", choices=[("", "—")] + list(FAILURE_REASONS.items()),
                                 validators=[Optional()])
    comment = TextAreaField("Toelichting", validators=[DataRequired("Schrijf een toelichting bij de statuswijziging."),
                                                       Length(max=2000)])


class EvaluationForm(FlaskForm):
    """The date of the next evaluation."""

    next_evaluation_on = DutchDateField("Volgende evaluatie", validators=[Optional()])


class ProposeForm(FlaskForm):
    """Propose the current plan for approval (the coordinator)."""


class ApproveForm(FlaskForm):
    """Approve a proposal; the revision the approver looked at travels along as an etag."""

    revision = IntegerField(validators=[NumberRange(min=0)])
    kind = SelectField("Hoe vastgesteld", choices=list(APPROVAL_KINDS.items()))
    meeting_id = HiddenField()


class AssignForm(FlaskForm):
    """The team lead hands an organisation's action to a colleague."""

    colleague = IntegerField("Toewijzen aan", validators=[DataRequired("Kies een collega.")])


class ReplanForm(FlaskForm):
    """A new deadline for an action, with the reason."""

    deadline = DutchDateField("Nieuwe termijn", validators=[InputRequired("Vul de nieuwe termijn (datum) in.")])
    reason = TextAreaField("Waarom een nieuwe termijn", validators=[
        DataRequired("Schrijf waarom de actie een nieuwe termijn krijgt."), Length(max=2000)])
