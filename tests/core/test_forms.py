"""Shared form behaviour (mda/core/forms.py and the WTForms messages): Dutch, the same everywhere."""

from __future__ import annotations


def test_length_messages_say_tekens(app):
    """Does a too-long field say "tekens" (as the rest of the interface), not "karakters"?"""
    from flask_wtf import FlaskForm
    from wtforms import StringField
    from wtforms.validators import Length

    class Probe(FlaskForm):
        text = StringField("Tekst", validators=[Length(max=3)])

    with app.test_request_context(method="POST", data={"text": "veel te lang"}):
        form = Probe(meta={"csrf": False})
        assert not form.validate()
        (message,) = form.text.errors
        assert "tekens" in message and "karakter" not in message
