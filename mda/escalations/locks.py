"""What an open escalation locks: its subject (a plan line, a decision) and the case's phase; the lock providers
the safety plan, the cases and the live session ask."""

from __future__ import annotations

import functools

from sqlalchemy import bindparam
from sqlmodel import Session, select

from mda.escalations.models import (
    OPEN_STATUSES,
    Escalation,
)


def open_on_subject(db: Session, case_id: int, kind: str, subject_id: int | None) -> Escalation | None:
    """The open escalation on this subject of the case, if any."""
    query = select(Escalation).where(Escalation.case_id == case_id, Escalation.subject_kind == kind,
                                     Escalation.status.in_(OPEN_STATUSES))
    query = query.where(Escalation.subject_id == subject_id) if subject_id is not None else query
    return db.exec(query).first()


#: built once (every case page asks): the escalations of one case in order
_OF_CASE = select(Escalation).where(Escalation.case_id == bindparam("case_id")).order_by(Escalation.id)


def subjects_of_case(db: Session, case_id: int) -> dict[tuple[str, int | None], Escalation]:
    """(subject kind, id) -> the escalation to show beside it: an open one, else the latest decided one."""
    marks: dict[tuple[str, int | None], Escalation] = {}
    for esc in db.exec(_OF_CASE, params={"case_id": case_id}):
        key = (esc.subject_kind, esc.subject_id)
        if esc.is_open or esc.decided_at is not None or key not in marks:
            if key in marks and marks[key].is_open and not esc.is_open:
                continue
            marks[key] = esc
    return marks


def phase_change_refusal(db: Session, case, new_phase: str) -> str | None:
    """Lock provider for the case's phase: refused while an escalation disputes the phase (or the closing)."""
    kinds = ["fase"] + (["afsluiting"] if new_phase == "afgesloten" else [])
    open_ = db.exec(select(Escalation).where(Escalation.case_id == case.id, Escalation.subject_kind.in_(kinds),
                                             Escalation.status.in_(OPEN_STATUSES))).first()
    if open_ is None:
        return None
    return (f"Over {'het afsluiten' if open_.subject_kind == 'afsluiting' else 'de fase'} van deze casus loopt "
            f"escalatie {open_.reference}. De fase kan pas wijzigen na het besluit of als de escalatie is "
            "ingetrokken.")


def open_on_decisions(db: Session, piece_ids: list[int]) -> dict[int, Escalation]:
    """Live decision id -> the open escalation disputing it, for several decisions in one query."""
    if not piece_ids:
        return {}
    rows = db.exec(select(Escalation).where(Escalation.subject_kind == "besluit",
                                            Escalation.subject_id.in_(piece_ids),
                                            Escalation.status.in_(OPEN_STATUSES)))
    return {esc.subject_id: esc for esc in rows}


def decision_item_refusal(db: Session, item) -> str | None:
    """Item lock provider: the text of a conference decision under an open escalation does not change."""
    piece = db.execute(_decision_of_item(), {"item_id": item.id}).first()  # every live save asks: built once
    if piece is None:
        return None
    esc = open_on_subject(db, piece.case_id, "besluit", piece.id)
    if esc is None:
        return None
    return (f"Over dit besluit loopt escalatie {esc.reference}: het kan niet worden gewijzigd tot over de "
            "escalatie is besloten of zij is ingetrokken.")


@functools.cache
def _decision_of_item():
    """The conference decision whose text is this case item (id and case), if it is one."""
    from mda.live.models import LivePiece

    return select(LivePiece.id, LivePiece.case_id).where(LivePiece.item_id == bindparam("item_id"),
                                                         LivePiece.kind == "besluit")


def subject_is_locked(db: Session, case_id: int, kind: str, subject_id: int | None) -> bool:
    """For other features (e.g. the live session's decisions): is this subject disputed by an open escalation?"""
    return open_on_subject(db, case_id, kind, subject_id) is not None


def plan_subject_is_locked(db: Session, entry) -> bool:
    """Lock provider for the safety plan: is this entry or action disputed by an open escalation?"""
    from mda.safety_plan.models import PlanAction

    kind = "plan_action" if isinstance(entry, PlanAction) else "plan_entry"
    if entry.id is None:
        return False
    return db.exec(select(Escalation.id).where(
        Escalation.subject_kind == kind, Escalation.subject_id == entry.id,
        Escalation.status.in_(OPEN_STATUSES))).first() is not None
