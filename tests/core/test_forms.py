"""Shared form behaviour (mda/core/forms.py and the WTForms messages): Dutch, the same everywhere."""

from __future__ import annotations

import pytest


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


@pytest.mark.parametrize("tail", [[(7, "")], [], [(8, "twee\nregels <b>")]])
@pytest.mark.parametrize("data", [None, 0, 5, 399])
def test_long_select_writes_the_stock_widgets_html(data, tail):
    """Does the one-pass select widget write exactly what wtforms' own Select writes (escaping, selection,
    attributes), so that swapping it in changes no page, whether its labels are escaped together (int values,
    every label a text) or one by one (an empty label, a label holding the separator)?"""
    import warnings

    from wtforms import Form, SelectField

    from mda.core.forms import LongSelect

    class Both(Form):
        stock = SelectField("Casus", coerce=int)
        long = SelectField("Casus", coerce=int, widget=LongSelect())

    form = Both()
    choices = [(i, f'MDA-2026-{i:05d} <fase> & "x"') for i in range(400)] + tail
    form.stock.choices = form.long.choices = choices
    form.stock.data = form.long.data = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # wtforms 3.3 on tuple choices
        stock = str(form.stock(class_="utrecht-select", **{"aria-describedby": "x"}))
    long = str(form.long(class_="utrecht-select", **{"aria-describedby": "x"}))
    assert long.replace('id="long" name="long"', "") == stock.replace('id="stock" name="stock"', "")
    assert ("<option selected" in long) == (data is not None)


def test_fast_html_params_write_what_wtforms_writes():
    """Does the faster attribute writer put on wtforms' widgets write exactly what wtforms' own writes (escaping of
    keys and values, Markup values, booleans, data_/aria_ and trailing-underscore keys), and is it the one the
    widgets use?"""
    import wtforms.widgets
    from markupsafe import Markup
    from wtforms.widgets import core

    from mda.core import forms

    cases = [dict(name="x", id="f", class_="a b"), dict(checked=True, readonly=False, name="t", abc='he"l<l>o&\''),
             dict(data_attr="user.name", aria_describedby="x-desc x-err", value=5), dict(value=None),
             dict(value=Markup('<b title="t">&amp;</b>')), dict(for_="veld", rows=3, value=0, title="")]
    for kwargs in cases:
        assert str(forms._html_params(**kwargs)) == str(forms._stock_html_params(**kwargs)), kwargs
    assert core.html_params is wtforms.widgets.html_params is forms._html_params
    assert core.Input.html_params is forms._html_params and core.Button.html_params is forms._html_params
