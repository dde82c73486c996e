"""The escalation ladder of each region (``escalations/ladders/<REGION>.toml``) and its time limits.

A ladder is data: levels in order, each with the roles that decide there per organisation
type and a time limit: working days (Monday to Friday, Dutch public holidays excluded, from
the ``holidays`` package) for a regular escalation, clock hours for an acute one. Files are
read once and validated at start-up; a mistake stops the app with the file, the line and
the problem (:class:`LadderError`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from mda.config import ROOT
from mda.core.timeutil import as_utc
from mda.core.workdays import add_working_days
from mda.organisations.models import ORGANISATION_TYPES

LADDER_DIR = ROOT / "escalations" / "ladders"
ALLOWED_ROLES = frozenset({"team_lead", "manager", "bestuurder", "coordinator"})


class LadderError(ValueError):
    """A ladder file that cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class Level:
    number: int
    name: str
    description: str
    regular_days: int
    acute_hours: int
    deciders: dict[str, frozenset[str]]  # organisation type or "*" -> roles
    parties_only: bool
    meeting: bool

    @property
    def label(self) -> str:
        return f"niveau {self.number} ({self.name.lower()})"

    def roles_for(self, org_type: str) -> frozenset[str]:
        """The roles that decide at this level for an organisation of *org_type*."""
        return self.deciders.get(org_type, frozenset()) | self.deciders.get("*", frozenset())


@dataclass(frozen=True)
class Ladder:
    region_code: str
    name: str
    levels: tuple[Level, ...]
    warn_regular_hours: int = 24
    warn_acute_hours: int = 1

    @property
    def top(self) -> int:
        return self.levels[-1].number

    def level(self, number: int) -> Level:
        """Level *number*; KeyError when the ladder has no such level."""
        for level in self.levels:
            if level.number == number:
                return level
        raise KeyError(number)

    def warn_before(self, urgency: str) -> timedelta:
        return timedelta(hours=self.warn_acute_hours if urgency == "acuut" else self.warn_regular_hours)


def _line_of(text: str, occurrence: int, header: str = "[[level]]") -> int:
    """The line number of the *occurrence*-th (1-based) ``[[level]]`` header in *text*."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith(header):
            seen += 1
            if seen == occurrence:
                return number
    return 1


def _positive_int(value, where: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LadderError(f"{where}: '{field}' moet een heel getal van 1 of meer zijn")
    return value


def parse(path: Path, region_code: str) -> Ladder:
    """Read and validate the ladder file *path*."""
    rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LadderError(f"{rel}: {exc}") from None
    levels = []
    raw_levels = raw.get("level")
    if not isinstance(raw_levels, list) or not raw_levels:
        raise LadderError(f"{rel}, regel 1: geen [[level]] gevonden; een ladder heeft ten minste één niveau")
    for n, lv in enumerate(raw_levels, start=1):
        where = f"{rel}, regel {_line_of(text, n)} (niveau {n})"
        if lv.get("number") != n:
            raise LadderError(f"{where}: 'number' moet {n} zijn (niveaus op volgorde, vanaf 1)")
        if not isinstance(lv.get("name"), str) or not lv["name"].strip():
            raise LadderError(f"{where}: 'name' ontbreekt")
        days = _positive_int(lv.get("regular_days"), where, "regular_days")
        hours = _positive_int(lv.get("acute_hours"), where, "acute_hours")
        deciders_raw = lv.get("deciders")
        if not isinstance(deciders_raw, dict) or not deciders_raw:
            raise LadderError(f"{where}: 'deciders' (organisatietype -> rollen) ontbreekt")
        deciders = {}
        for org_type, roles in deciders_raw.items():
            if org_type != "*" and org_type not in ORGANISATION_TYPES:
                raise LadderError(f"{where}: onbekend organisatietype {org_type!r} in 'deciders'")
            if not isinstance(roles, list) or not roles or set(roles) - ALLOWED_ROLES:
                raise LadderError(f"{where}: rollen bij {org_type!r} moeten een lijst zijn uit "
                                  f"{', '.join(sorted(ALLOWED_ROLES))}")
            deciders[org_type] = frozenset(roles)
        for flag in ("parties_only", "meeting"):
            if not isinstance(lv.get(flag, False), bool):
                raise LadderError(f"{where}: '{flag}' moet true of false zijn")
        levels.append(Level(n, lv["name"].strip(), str(lv.get("description", "")), days, hours, deciders,
                            lv.get("parties_only", True), lv.get("meeting", False)))
    warn_r = _positive_int(raw.get("warn_regular_hours", 24), f"{rel}", "warn_regular_hours")
    warn_a = _positive_int(raw.get("warn_acute_hours", 1), f"{rel}", "warn_acute_hours")
    return Ladder(region_code, str(raw.get("name", region_code)), tuple(levels), warn_r, warn_a)


DEFAULT_LADDER = Ladder("", "Standaardladder (geen regionale ladder vastgelegd)", (
    Level(1, "Uitvoerend", "De professionals met hun teamleiders", 2, 4, {"*": frozenset({"team_lead"})}, True, False),
    Level(2, "Management", "De managers van de betrokken organisaties", 3, 8, {"*": frozenset({"manager"})},
          True, True),
    Level(3, "Bestuurlijk", "Houder van doorzettingsmacht", 5, 24, {"*": frozenset({"bestuurder"})}, False, True),
))


@cache
def ladder(region_code: str, directory: Path = LADDER_DIR) -> Ladder:
    """The ladder of *region_code*; a region without a file uses :data:`DEFAULT_LADDER`."""
    path = directory / f"{region_code}.toml"
    if not path.exists():
        return DEFAULT_LADDER
    return parse(path, region_code)


def validate_all(directory: Path | None = None) -> None:
    """Load every ladder file (called at start-up)."""
    directory = Path(directory) if directory else LADDER_DIR
    for path in sorted(directory.glob("*.toml")):
        parse(path, path.stem)


# ----------------------------------------------------------------------------- time limits
def deadline(level: Level, urgency: str, start: datetime) -> datetime:
    """When the time limit of *level* runs out for an escalation that reached it at *start*."""
    if urgency == "acuut":
        return as_utc(start) + timedelta(hours=level.acute_hours)
    return add_working_days(start, level.regular_days)
