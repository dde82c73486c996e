"""The notification preferences form: one choice per kind of notice."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from mda.notices.models import DELIVERIES, KINDS


class PreferencesForm(FlaskForm):
    """Per kind: at once or in the daily digest (fields named after the kinds)."""


_CHOOSE = "Kies direct of in het dagelijkse overzicht."
for _kind, _label in KINDS.items():
    setattr(PreferencesForm, _kind, RadioField(_label, choices=list(DELIVERIES.items()),
                                               validators=[InputRequired(_CHOOSE)]))
