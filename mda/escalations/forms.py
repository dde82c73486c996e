"""Forms of the escalation pages; the services validate again, so page and API refuse alike."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from mda.escalations.models import SUBJECT_KINDS, URGENCIES
from mda.escalations.services import PLAN_CONSEQUENCES


class RaiseForm(FlaskForm):
    """Start an escalation: subject, urgency, the other party and one's own position."""

    subject_kind = SelectField("Waarover gaat het verschil van inzicht?", choices=list(SUBJECT_KINDS.items()))
    subject_ref = SelectField("Welk onderdeel van het plan", choices=[], validate_choice=False)
    besluit = SelectField("Welk besluit van een overleg", choices=[], validate_choice=False)
    subject_text = StringField("Korte omschrijving (zonder namen)", validators=[Length(max=300)],
                               description="Bijvoorbeeld: 'voorwaarde 3: contact vader met kinderen'.")
    urgency = RadioField("Urgentie", choices=list(URGENCIES.items()), default="regulier")
    other_organisation_id = SelectField("Met welke organisatie verschilt u van mening?", choices=[],
                                        validate_choice=False)
    position = TextAreaField("Uw standpunt", validators=[Length(max=4000)])
    risk_argument = TextAreaField("Kort risico-argument (optioneel)", validators=[Optional(), Length(max=1000)])


class PositionForm(FlaskForm):
    """The other party's position."""

    version = HiddenField()
    text = TextAreaField("Uw standpunt", validators=[Length(max=4000)])
    risk_argument = TextAreaField("Kort risico-argument (optioneel)", validators=[Optional(), Length(max=1000)])


class MoveUpForm(FlaskForm):
    """Naar volgend niveau, with a reason."""

    version = HiddenField()
    reason = TextAreaField("Reden om naar het volgende niveau te gaan", validators=[Length(max=2000)])


class DecideForm(FlaskForm):
    """The decision at the current level and what it means for the plan."""

    version = HiddenField()
    decision = TextAreaField("Besluit", validators=[Length(max=4000)])
    reasons = TextAreaField("Motivering", validators=[Length(max=4000)])
    consequence = RadioField("Gevolg voor het veiligheidsplan", choices=list(PLAN_CONSEQUENCES.items()),
                             default="geen")
    consequence_text = TextAreaField("Nieuwe tekst in het plan (bij aanvullen of wijzigen)",
                                     validators=[Optional(), Length(max=4000)])


class ConfirmForm(FlaskForm):
    """Acknowledge (a button with the version)."""

    version = HiddenField()


class WithdrawForm(FlaskForm):
    """Withdraw, with a reason."""

    version = HiddenField()
    reason = TextAreaField("Reden van intrekken", validators=[DataRequired("Geef de reden om in te trekken."),
                                                              Length(max=2000)])
