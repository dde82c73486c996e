"""A form's problems as flat lines for the error summary: one line per message, each naming its field.

WTForms keeps the errors of a ``FieldList`` of ``FormField`` rows as a list of dicts, and ``form.errors``
names fields by their code name; printed as they are, the summary shows ``Persons: date_of_birth bsn``.
:func:`error_lines` walks the fields instead, so a row's problem reads "Persoon 2, Geboortedatum: Ongeldige
datum." and links to that row's input.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from wtforms.fields import Field, FieldList, FormField


@dataclass(frozen=True)
class ErrorLine:
    """One message of the summary: the field it belongs to (its id, for the link) and who says it."""

    field_id: str | None
    label: str
    message: str

    @property
    def text(self) -> str:
        """The line as shown: label, colon, message; the message alone for a problem of the whole form."""
        return f"{self.label}: {self.message}" if self.label else self.message


def error_lines(form, rows: Mapping[str, str] | None = None) -> list[ErrorLine]:
    """Every error message of *form* (a validated form), in field order, nested rows flattened.

    A row of a ``FieldList`` is named after the list's label and its number from 1 ("Persoon 2"); *rows*
    gives another row name per list name when the list's label does not fit (``{"agenda": "Agendapunt"}``).
    """
    lines = list(_walk(form, "", rows or {}))
    lines += [ErrorLine(None, "", str(m)) for m in getattr(form, "form_errors", ())]
    return lines


def _walk(fields, prefix: str, rows: Mapping[str, str]) -> Iterator[ErrorLine]:
    for field in fields:
        yield from _field_lines(field, prefix, rows)


def _field_lines(field: Field, prefix: str, rows: Mapping[str, str]) -> Iterator[ErrorLine]:
    label = _join(prefix, field.label.text)
    if isinstance(field, FieldList):
        # the list's own messages (e.g. too many rows) are text, the rows' are lists or dicts; a list renders no
        # element of its own to link to
        yield from (ErrorLine(None, label, m) for m in field.errors if isinstance(m, str))
        row_name = rows.get(field.short_name, field.label.text)
        for number, entry in enumerate(field.entries, start=1):
            row_label = _join(prefix, f"{row_name} {number}")
            if isinstance(entry, FormField):
                yield from _walk(entry, row_label, rows)
            else:
                yield from (ErrorLine(entry.id, row_label, m) for m in entry.errors if isinstance(m, str))
    elif isinstance(field, FormField):
        yield from _walk(field, label, rows)
    else:
        yield from (ErrorLine(field.id, label, str(m)) for m in field.errors)


def _join(prefix: str, label: str) -> str:
    return f"{prefix}, {label}" if prefix else label
