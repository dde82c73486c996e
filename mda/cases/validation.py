"""Checks on personal data as it is entered: BSN (elfproef), dates of birth, names.

Each check returns a Dutch message for the user, or None when the value is fine, so that
forms and services (and the API) give the same answer.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from mda.core.timeutil import LOCAL_TZ, utcnow


def today() -> date:
    """Today in the Netherlands."""
    return utcnow().astimezone(LOCAL_TZ).date()


def normalise_bsn(raw: str | None) -> str | None:
    """Digits only; an 8-digit BSN gets its leading zero back. None for an empty value."""
    if raw is None:
        return None
    digits = re.sub(r"[\s.\-]", "", raw)
    if not digits:
        return None
    return digits.zfill(9) if len(digits) == 8 and digits.isdigit() else digits


def bsn_is_valid(bsn: str) -> bool:
    """The elfproef: 9 digits, weights 9..2 and -1, sum divisible by 11 (and not all zeros)."""
    if len(bsn) != 9 or not bsn.isdigit() or bsn == "0" * 9:
        return False
    total = sum(int(d) * w for d, w in zip(bsn[:8], range(9, 1, -1), strict=True)) - int(bsn[8])
    return total % 11 == 0


def bsn_problem(raw: str | None) -> str | None:
    """A Dutch message when *raw* is filled in but is not a valid BSN."""
    bsn = normalise_bsn(raw)
    if bsn is None:
        return None
    if not bsn.isdigit() or len(bsn) != 9:
        return "Een BSN bestaat uit 9 cijfers."
    if not bsn_is_valid(bsn):
        return "Dit BSN is ongeldig (het voldoet niet aan de elfproef). Controleer de cijfers."
    return None


def birth_date_problem(value: date | None) -> str | None:
    """A Dutch message for a date of birth in the future or implausibly far back."""
    if value is None:
        return None
    if value > today():
        return "De geboortedatum ligt in de toekomst."
    if value.year < 1900:
        return "De geboortedatum ligt vóór 1900. Controleer het jaartal."
    return None


def not_in_future(value: date | None, label: str) -> str | None:
    """A Dutch message when the date *label* lies in the future."""
    if value is not None and value > today():
        return f"{label} ligt in de toekomst."
    return None


def item_problems(content: str, recorded_on: date | None) -> list[str]:
    """What is wrong with an item's (stripped) content and its date, in Dutch; empty when nothing is."""
    problems = []
    if not content:
        problems.append("Vul de inhoud van het gegeven in.")
    if len(content) > 8000:
        problems.append("De inhoud mag hoogstens 8000 tekens zijn.")
    if recorded_on is None:
        problems.append("Vul de datum van het gegeven in.")
    elif problem := not_in_future(recorded_on, "De datum van het gegeven"):
        problems.append(problem)
    return problems


def normalise_name(name: str) -> str:
    """A name for comparison: accents removed, case folded, whitespace collapsed."""
    stripped = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return " ".join(stripped.casefold().replace("-", " ").split())


def age_on(born: date | None, day: date) -> int | None:
    """Age in whole years on *day* (None when the date of birth is unknown)."""
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
