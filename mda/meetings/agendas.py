"""Meeting types and their agenda templates, read from ``agendas/<code>.toml``.

A region adapts its agendas by editing these files. Every file is checked at start-up
(:func:`validate_all`); a problem stops the application with the file and the line
(:class:`AgendaError`), so a typo never reaches a coordinator's form.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from mda.config import ROOT

AGENDAS_DIR = ROOT / "agendas"
CASE_MODES = {"geen": "geen casussen", "een": "één casus", "meerdere": "meerdere casussen"}
TOP_KEYS = {"name", "description", "cases", "max_cases", "minutes", "case_minutes", "children_first",
            "case_steps", "item"}
ITEM_KEYS = {"title", "minutes", "cases"}
MAX_MINUTES = 8 * 60


class AgendaError(ValueError):
    """An agenda file that cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class TemplateItem:
    """A standard agenda item; ``cases`` marks where the per-case items go."""

    title: str
    minutes: int
    cases: bool = False


@dataclass(frozen=True)
class MeetingType:
    """A meeting type with its standard agenda and default durations."""

    code: str
    name: str
    description: str
    cases: str  # geen | een | meerdere
    max_cases: int
    minutes: int
    case_minutes: int
    children_first: bool
    case_steps: tuple[str, ...]
    items: tuple[TemplateItem, ...]

    @property
    def multiple_cases(self) -> bool:
        return self.cases == "meerdere"


def _line_of(text: str, key: str | None, item_index: int | None = None) -> int:
    """The line of *key* at the top level, or in the *item_index*-th ``[[item]]`` table (1-based).

    Without a key (or when the key is absent) the line of the table header, or line 1.
    """
    lines = text.splitlines()
    headers = [n for n, line in enumerate(lines) if line.strip().startswith("[")]
    if item_index is None:
        start, end = 0, (headers[0] if headers else len(lines))
    else:
        items = [n for n in headers if re.match(r"\s*\[\[\s*item\s*\]\]", lines[n])]
        if item_index > len(items):
            return 1
        start = items[item_index - 1]
        end = next((n for n in headers if n > start), len(lines))
    if key:
        pattern = re.compile(rf"\s*\"?{re.escape(key)}\"?\s*=")
        for n in range(start, end):
            if pattern.match(lines[n]):
                return n + 1
    return start + 1


def _positive_int(value, maximum: int = MAX_MINUTES) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= maximum


def load_type(path: Path) -> MeetingType:
    """Parse and check one agenda file."""
    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = found.group(1) if found else "?"
        raise AgendaError(f"{name}, regel {line}: geen geldige TOML ({exc})") from None

    def fail(message: str, key: str | None, item: int | None = None):
        raise AgendaError(f"{name}, regel {_line_of(text, key, item)}: {message}")

    for key in raw:
        if key not in TOP_KEYS:
            fail(f"onbekende sleutel '{key}' (toegestaan: {', '.join(sorted(TOP_KEYS))})", key)
    if not isinstance(raw.get("name"), str) or not raw["name"].strip():
        fail("'name' (de naam van het soort overleg) ontbreekt of is leeg", "name")
    cases = raw.get("cases", "geen")
    if cases not in CASE_MODES:
        fail(f"'cases' moet {', '.join(CASE_MODES)} zijn, niet {cases!r}", "cases")
    for key, default in (("minutes", 60), ("case_minutes", 30), ("max_cases", 8)):
        if not _positive_int(raw.get(key, default), MAX_MINUTES if key != "max_cases" else 50):
            fail(f"'{key}' moet een positief geheel getal zijn", key)
    if not isinstance(raw.get("children_first", False), bool):
        fail("'children_first' moet true of false zijn", "children_first")
    steps = raw.get("case_steps", [])
    if not isinstance(steps, list) or not all(isinstance(s, str) and s.strip() for s in steps):
        fail("'case_steps' moet een lijst met teksten zijn", "case_steps")
    raw_items = raw.get("item", [])
    if not isinstance(raw_items, list) or not raw_items:
        fail("geen agendapunten: voeg minstens één [[item]] toe", "item" if "item" in raw else None)
    items: list[TemplateItem] = []
    for n, entry in enumerate(raw_items, start=1):
        for key in entry:
            if key not in ITEM_KEYS:
                fail(f"onbekende sleutel '{key}' in agendapunt {n} (toegestaan: {', '.join(sorted(ITEM_KEYS))})",
                     key, n)
        if not isinstance(entry.get("title"), str) or not entry["title"].strip():
            fail(f"agendapunt {n} heeft geen 'title'", "title" if "title" in entry else None, n)
        is_cases = entry.get("cases", False)
        if not isinstance(is_cases, bool):
            fail(f"'cases' in agendapunt {n} moet true of false zijn", "cases", n)
        minutes = entry.get("minutes", 0 if is_cases else None)
        if is_cases and minutes not in (0, None):
            fail(f"agendapunt {n} is de plek van de casussen; de duur volgt uit 'case_minutes'", "minutes", n)
        if not is_cases and not _positive_int(minutes):
            fail(f"'minutes' van agendapunt {n} moet een positief geheel getal zijn (hoogstens {MAX_MINUTES})",
                 "minutes" if "minutes" in entry else None, n)
        items.append(TemplateItem(entry["title"].strip(), minutes or 0, is_cases))
    markers = [n for n, i in enumerate(items, start=1) if i.cases]
    if cases != "geen" and len(markers) != 1:
        fail("precies één agendapunt moet 'cases = true' hebben (de plek van de casussen)",
             "cases", markers[1] if len(markers) > 1 else None)
    if cases == "geen" and markers:
        fail("dit soort overleg heeft geen casussen ('cases = \"geen\"'), maar een agendapunt heeft 'cases = true'",
             "cases", markers[0])
    return MeetingType(
        code=path.stem, name=raw["name"].strip(), description=str(raw.get("description", "")),
        cases=cases, max_cases=1 if cases == "een" else raw.get("max_cases", 8),
        minutes=raw.get("minutes", 60), case_minutes=raw.get("case_minutes", 30),
        children_first=raw.get("children_first", False), case_steps=tuple(s.strip() for s in steps),
        items=tuple(items))


@cache
def meeting_types(directory: str = str(AGENDAS_DIR)) -> dict[str, MeetingType]:
    """Every meeting type, code -> :class:`MeetingType`, in file-name order."""
    folder = Path(directory)
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise AgendaError(f"{folder}: geen agendabestanden (*.toml) gevonden")
    result = {}
    for path in files:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,39}", path.stem):
            raise AgendaError(f"{path.name}, regel 1: de bestandsnaam wordt de code van het soort overleg "
                              "en mag alleen kleine letters, cijfers en streepjes bevatten")
        result[path.stem] = load_type(path)
    return result


def meeting_type(code: str, directory: str | None = None) -> MeetingType:
    """The meeting type *code*; KeyError when no agenda file defines it."""
    return meeting_types(directory or configured_dir())[code]


def type_name(code: str) -> str:
    """The Dutch name of meeting type *code* (the code itself when its file is gone)."""
    try:
        return meeting_type(code).name
    except (KeyError, AgendaError):
        return code


def label(type_code: str, title: str, *, name: str | None = None) -> str:
    """How a meeting is named: its title, preceded by its type unless the title already starts with it.

    *name* is the type's name when the caller has already looked it up.
    """
    name = type_name(type_code) if name is None else name
    return title if title.lower().startswith(name.lower()) else f"{name}: {title}"


def configured_dir() -> str:
    from flask import current_app, has_app_context

    if has_app_context():
        return str(current_app.config.get("AGENDAS_DIR") or AGENDAS_DIR)
    return str(AGENDAS_DIR)


def all_types() -> dict[str, MeetingType]:
    """Every meeting type of the configured agenda folder."""
    return meeting_types(configured_dir())


def validate_all(directory: str | None = None) -> None:
    """Load every agenda file (called at start-up); raises :class:`AgendaError`."""
    meeting_types(directory or str(AGENDAS_DIR))
