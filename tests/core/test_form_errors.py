"""The error summary's lines (mda/core/form_errors.py): nested rows flattened into Dutch lines with their field."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict
from wtforms import FieldList, Form, FormField, IntegerField, StringField
from wtforms.validators import DataRequired, NumberRange, ValidationError

from mda.core.form_errors import error_lines


class Address(Form):
    street = StringField("Straat", validators=[DataRequired("Vul de straat in.")])


class Row(Form):
    minutes = IntegerField("Minuten", validators=[NumberRange(0, 480, "Kies 0 tot 480 minuten.")])


def _at_most_two(_form, field):
    if len(field.entries) > 2:
        raise ValidationError("Hoogstens twee rijen.")


class Probe(Form):
    title = StringField("Titel", validators=[DataRequired("Vul de titel in.")])
    address = FormField(Address, "Adres")
    rows = FieldList(FormField(Row), "Rij", validators=[_at_most_two])
    codes = FieldList(StringField("Code", validators=[DataRequired("Vul de code in.")]), "Code")

    def validate(self, extra_validators=None):
        super().validate(extra_validators)
        self.form_errors.append("Het geheel klopt niet.")  # a problem of the whole form, with no field
        return False


def _probe(data: dict) -> Probe:
    form = Probe(MultiDict(data))
    form.validate()
    return form


def test_nested_rows_become_one_line_per_message_with_their_field():
    """Does every message of a nested form become its own line, named "Rij 2, Minuten" / "Adres, Straat" /
    "Code 1" and carrying the id of the input it belongs to (if any), in field order, with the list's and the form's own
    messages too (and no code names or dicts)?"""
    form = _probe({"title": "", "address-street": "", "rows-0-minutes": "5", "rows-1-minutes": "999",
                   "rows-2-minutes": "-1", "codes-0": ""})
    assert [(line.field_id, line.text) for line in error_lines(form)] == [
        ("title", "Titel: Vul de titel in."),
        ("address-street", "Adres, Straat: Vul de straat in."),
        (None, "Rij: Hoogstens twee rijen."),  # a list has no element of its own to link to
        ("rows-1-minutes", "Rij 2, Minuten: Kies 0 tot 480 minuten."),
        ("rows-2-minutes", "Rij 3, Minuten: Kies 0 tot 480 minuten."),
        ("codes-0", "Code 1: Vul de code in."),
        (None, "Het geheel klopt niet."),
    ]


def test_a_row_name_can_be_given_where_the_lists_label_does_not_fit():
    """Can a template name the rows of a list itself ({"rows": "Agendapunt"}), for a list whose label is not the
    name of one row?"""
    form = _probe({"title": "x", "address-street": "x", "rows-0-minutes": "999"})
    lines = [line.text for line in error_lines(form, rows={"rows": "Agendapunt"})]
    assert lines == ["Agendapunt 1, Minuten: Kies 0 tot 480 minuten.", "Het geheel klopt niet."]


def test_the_filter_is_registered_for_every_template(app):
    """Can every template use ``form|error_lines`` (registered where the app registers its filters)?"""
    assert app.jinja_env.filters["error_lines"] is error_lines
