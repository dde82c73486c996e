"""Search and filters for the case list (page and ``/api/v1/cases``), on top of the engine's rule 1.

Filters only narrow :func:`mda.core.sharing.visible_cases_query`: whatever is typed, a case
outside the user's circles never appears. The query string holds no personal data: a part of
a case reference, a phase code, a coordinator's account number and a role code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import request
from sqlalchemy import func, select
from sqlmodel import Session

from mda.auth.models import User
from mda.cases.models import PHASES, Case, CaseMember, CaseOrganisation
from mda.core import sharing
from mda.core.input_guard import MAX_DB_INT

#: "mijn rol" in the case: what the filter keeps
ROLES: dict[str, str] = {"regie": "Ik ben procesregisseur", "kring": "Ik sta met naam in de kring",
                         "organisatie": "Mijn organisatie is in de kring (teamleider)"}
MAX_REFERENCE = 40


@dataclass
class CaseFilter:
    """The filters of one request, and what was wrong with them (Dutch, shown above the list)."""

    reference: str = ""
    phase: str = ""
    coordinator_id: int | None = None
    role: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.reference or self.phase or self.coordinator_id or self.role)

    def args(self) -> dict[str, str]:
        """The query-string arguments that reproduce these filters (for the pager's links)."""
        values = {"zoek": self.reference, "fase": self.phase, "rol": self.role,
                  "regisseur": str(self.coordinator_id) if self.coordinator_id else ""}
        return {k: v for k, v in values.items() if v}


def from_request() -> CaseFilter:
    """Read ``zoek``, ``fase``, ``regisseur`` and ``rol``; a value that makes no sense is dropped with a message."""
    f = CaseFilter()
    reference = (request.args.get("zoek") or "").strip()
    if len(reference) > MAX_REFERENCE:
        f.problems.append(f"Zoek op (een deel van) het casusnummer, hoogstens {MAX_REFERENCE} tekens.")
    else:
        f.reference = reference
    phase = request.args.get("fase") or ""
    if phase and phase not in PHASES:
        f.problems.append("Kies een fase uit de lijst.")
    else:
        f.phase = phase
    coordinator = request.args.get("regisseur") or ""
    if coordinator:
        if coordinator.isdigit() and 0 < int(coordinator) <= MAX_DB_INT:
            f.coordinator_id = int(coordinator)
        else:
            f.problems.append("Kies een procesregisseur uit de lijst.")
    role = request.args.get("rol") or ""
    if role and role not in ROLES:
        f.problems.append("Kies een rol uit de lijst.")
    else:
        f.role = role
    return f


def _filtered(user: User, f: CaseFilter):
    stmt = sharing.visible_cases_query(user).with_only_columns(Case.id)
    if f.reference:
        escaped = f.reference.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(func.lower(Case.reference).like(f"%{escaped}%", escape="\\"))
    if f.phase:
        stmt = stmt.where(Case.phase == f.phase)
    if f.coordinator_id:
        stmt = stmt.where(Case.coordinator_id == f.coordinator_id)
    if f.role == "regie":
        stmt = stmt.where(Case.coordinator_id == user.id)
    elif f.role == "kring":
        stmt = stmt.where(Case.id.in_(select(CaseMember.case_id).where(CaseMember.user_id == user.id,
                                                                       CaseMember.removed_at.is_(None))))
    elif f.role == "organisatie":
        stmt = stmt.where(Case.id.in_(select(CaseOrganisation.case_id).where(
            CaseOrganisation.organisation_id == user.organisation_id, CaseOrganisation.removed_at.is_(None))))
    return stmt


def case_ids(user: User, f: CaseFilter, *, newest_first: bool = True):
    """``ids_up_to(n)`` for :func:`mda.core.paging.paginate_ids`: the first *n* visible case ids that pass *f*."""
    if not f.active:
        return lambda n: sharing.visible_case_ids(user, newest_first=newest_first, limit=n)

    def up_to(n: int):
        stmt = _filtered(user, f)
        return stmt.order_by(Case.id.desc() if newest_first else Case.id.asc()).limit(n)

    return up_to


#: the coordinator filter lists the coordinators of this many of the user's newest visible cases
CHOICES_FROM_CASES = 1000


def coordinator_choices(db: Session, user: User, limit: int = 200) -> list[tuple[int, str]]:
    """The coordinators of the user's newest visible cases (at most *limit*), by name, for the filter's list.

    Read from the newest 1,000 visible cases, each source cut by its index before the union
    (:func:`mda.core.sharing.visible_case_ids`): for a team lead whose organisation is in tens of
    thousands of circles, "all my cases" meant reading every one of them on each list page (4.3× slower
    at 100,000 cases). A coordinator of older cases only is still found by the filter with its id.
    """
    ids = sharing.visible_case_ids(user, limit=CHOICES_FROM_CASES).subquery()
    coordinators = select(Case.coordinator_id).where(Case.id.in_(select(ids.c[0]))).distinct()
    rows = db.exec(select(User.id, User.name).where(User.id.in_(coordinators)).order_by(User.name)
                   .limit(limit)).all()
    return [(uid, name) for uid, name in rows]
