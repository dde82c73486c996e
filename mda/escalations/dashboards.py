"""Dashboards: team leads' and managers' escalations at their level, the coordinator's open
escalations, and steering figures per period (aggregates only: no names, no case references).

Each list is built with a fixed number of queries whatever its length (the tests count them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, select

from mda.auth.models import User
from mda.cases.models import Case, CaseOrganisation
from mda.core import sharing
from mda.core.csvsafe import csv_text
from mda.core.templating import dutch_decimal
from mda.core.timeutil import LOCAL_TZ, as_utc
from mda.escalations import ladder as ladders
from mda.escalations.models import OPEN_STATUSES, Escalation
from mda.organisations.models import Organisation, Region


@dataclass
class Row:
    """One line of a dashboard: pseudonymous references, level, deadline and countdown."""

    esc: Escalation
    case_reference: str
    level: ladders.Level
    countdown: str
    state: str  # ok | soon | overdue


def _rows(db: Session, pairs, now: datetime) -> list[Row]:
    from mda.escalations.views import countdown

    rows = []
    for esc, reference, region_code in pairs:
        lad = ladders.ladder(region_code)
        text, state = countdown(esc.deadline_at, now)
        if state == "ok" and as_utc(esc.deadline_at) - lad.warn_before(esc.urgency) <= as_utc(now):
            state = "soon"
        rows.append(Row(esc, reference, lad.level(esc.level), text, state))
    return rows


def _open_query():
    return (select(Escalation, Case.reference, Region.code).join(Case, Case.id == Escalation.case_id)
            .join(Region, Region.id == Case.region_id).where(Escalation.status.in_(OPEN_STATUSES),
                                                             Case.purged_at.is_(None))
            .order_by(Escalation.deadline_at, Escalation.id))


def for_decider(db: Session, user: User, now: datetime) -> list[Row]:
    """Open escalations where *user* decides at the current level, soonest deadline first."""
    org_type = db.get(Organisation, user.organisation_id).type_code
    visible = sharing.visible_cases_query(user).with_only_columns(Case.id)
    pairs = db.exec(_open_query().where(Escalation.case_id.in_(visible))).all()
    circle = set(db.exec(select(CaseOrganisation.case_id).where(
        CaseOrganisation.organisation_id == user.organisation_id, CaseOrganisation.removed_at.is_(None),
        CaseOrganisation.case_id.in_({e.case_id for e, _r, _c in pairs} or {0}))).all())
    mine = []
    for esc, reference, region_code in pairs:
        level = ladders.ladder(region_code).level(esc.level)
        in_scope = (user.organisation_id in (esc.raiser_organisation_id, esc.other_organisation_id)
                    if level.parties_only else esc.case_id in circle)
        if in_scope and level.roles_for(org_type) & user.roles:
            mine.append((esc, reference, region_code))
    return _rows(db, mine, now)


def for_coordinator(db: Session, user: User, now: datetime) -> list[Row]:
    """All open escalations of the cases *user* coordinates."""
    return _rows(db, db.exec(_open_query().where(Case.coordinator_id == user.id)).all(), now)


def for_party(db: Session, user: User, now: datetime) -> list[Row]:
    """Open escalations in which *user*'s organisation is a party, on cases *user* may open."""
    visible = sharing.visible_cases_query(user).with_only_columns(Case.id)
    query = _open_query().where(Escalation.case_id.in_(visible)).where(
        (Escalation.raiser_organisation_id == user.organisation_id)
        | (Escalation.other_organisation_id == user.organisation_id))
    return _rows(db, db.exec(query).all(), now)


# ----------------------------------------------------------------------------- steering figures
@dataclass
class Figures:
    """Steering figures of one period: counts and durations only."""

    start: date
    end: date
    total: int
    by_level: dict[int, int]  # level reached (current, or where decided)
    by_urgency: dict[str, int]
    decided: int
    decided_at_level_1: int
    withdrawn: int
    open: int
    median_hours_to_decision: float | None
    mean_hours_to_decision: float | None

    @property
    def share_level_1(self) -> float | None:
        return round(100 * self.decided_at_level_1 / self.decided, 1) if self.decided else None


def steering(db: Session, user: User, start: date, end: date) -> Figures:
    """Figures for escalations raised from *start* to *end* (inclusive) in *user*'s region."""
    region_id = db.get(Organisation, user.organisation_id).region_id
    lo = as_utc(datetime.combine(start, time(0, 0), tzinfo=LOCAL_TZ))
    hi = as_utc(datetime.combine(end + timedelta(days=1), time(0, 0), tzinfo=LOCAL_TZ))
    rows = db.exec(select(Escalation.level, Escalation.decided_level, Escalation.urgency, Escalation.status,
                          Escalation.created_at, Escalation.decided_at)
                   .join(Case, Case.id == Escalation.case_id)
                   .where(Case.region_id == region_id, Escalation.created_at >= lo, Escalation.created_at < hi)).all()
    by_level: dict[int, int] = {}
    by_urgency = {"regulier": 0, "acuut": 0}
    hours = []
    decided = level1 = withdrawn = still_open = 0
    for level, decided_level, urgency, status, created, decided_at in rows:
        reached = decided_level or level
        by_level[reached] = by_level.get(reached, 0) + 1
        by_urgency[urgency] = by_urgency.get(urgency, 0) + 1
        if decided_at is not None:
            decided += 1
            level1 += decided_level == 1
            hours.append((as_utc(decided_at) - as_utc(created)).total_seconds() / 3600)
        withdrawn += status == "ingetrokken"
        still_open += status in OPEN_STATUSES
    hours.sort()
    median = None
    if hours:
        mid = len(hours) // 2
        median = round(hours[mid] if len(hours) % 2 else (hours[mid - 1] + hours[mid]) / 2, 1)
    return Figures(start, end, len(rows), dict(sorted(by_level.items())), by_urgency, decided, level1, withdrawn,
                   still_open, median, round(sum(hours) / len(hours), 1) if hours else None)


def steering_csv(figures: Figures) -> str:
    """The figures as CSV (semicolon, as Dutch spreadsheets expect): measures and counts, nothing else."""
    rows = []
    rows.append(["periode_van", "periode_tot", "maat", "waarde"])
    period = [figures.start.isoformat(), figures.end.isoformat()]
    rows.append(period + ["escalaties_totaal", figures.total])
    for level, count in figures.by_level.items():
        rows.append(period + [f"niveau_{level}", count])
    for urgency, count in figures.by_urgency.items():
        rows.append(period + [f"urgentie_{urgency}", count])
    rows.append(period + ["besloten", figures.decided])
    rows.append(period + ["besloten_op_niveau_1", figures.decided_at_level_1])
    rows.append(period + ["aandeel_niveau_1_procent", _decimal(figures.share_level_1)])
    rows.append(period + ["ingetrokken", figures.withdrawn])
    rows.append(period + ["nog_open", figures.open])
    rows.append(period + ["mediaan_uren_tot_besluit", _decimal(figures.median_hours_to_decision)])
    rows.append(period + ["gemiddeld_uren_tot_besluit", _decimal(figures.mean_hours_to_decision)])
    return csv_text(rows)


def _decimal(value: float | None) -> str:
    """A decimal comma, as Dutch spreadsheets read it from a semicolon CSV; no thousands separator."""
    return dutch_decimal(value, grouping=False)


def bars(values: dict, width: int = 300) -> list[tuple[str, int, int]]:
    """(label, value, bar width in px) for a server-rendered SVG bar chart."""
    top = max(values.values(), default=0) or 1
    return [(str(k), v, round(width * v / top)) for k, v in values.items()]
