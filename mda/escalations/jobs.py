"""The escalation job of the job runner: move up when a level's time limit passed, warn before it does.

Idempotent: each move-up and each warning claims a :class:`~mda.jobs.models.JobMark` keyed by
escalation and level in the same unit of work, so two runs at once act once.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from mda.core import sharing
from mda.core.errors import ConflictError
from mda.core.timeutil import as_utc
from mda.escalations import notify
from mda.escalations.access import ladder_of, sharing_case
from mda.escalations.models import OPEN_STATUSES, Escalation
from mda.escalations.services import (
    _after_level_change,
    _audit,
    _step,
    _to_next_level,
)
from mda.jobs import job

JOB_NAME = "escalatietermijnen"


@job(JOB_NAME)
def escalation_deadlines(db: Session, now: datetime) -> int:
    """Escalaties: automatisch naar het volgende niveau na de termijn; waarschuwing vooraf."""
    return auto_move_up(db, now)


def auto_move_up(db: Session, at: datetime) -> int:
    """The job's work: move every open escalation whose limit passed up one level, once.

    At the top level nothing moves; the deciders are told once that the limit passed.
    Before a limit runs out the deciders and parties are warned once per level.
    """
    from mda.jobs import claim

    done = 0
    overdue = db.exec(select(Escalation).where(Escalation.status.in_(OPEN_STATUSES),
                                               Escalation.deadline_at <= at).order_by(Escalation.id)).all()
    for esc in overdue:
        if not claim(db, f"escalatie:{esc.id}:niveau:{esc.level}:termijn", JOB_NAME):
            continue
        level_claimed = esc.level
        db.refresh(esc)  # another process may have decided or moved it since our SELECT
        if not esc.is_open or esc.level != level_claimed or as_utc(esc.deadline_at) > as_utc(at):
            continue
        ctx = sharing.load_context(db, sharing_case(db, esc))
        if esc.level >= ladder_of(ctx).top:
            _step(db, esc, "warned", note="", at=at)
            _audit(db, None, esc, "update", "termijn op het hoogste niveau verstreken", job=JOB_NAME)
            notify.escalation_event(db, ctx, esc, "top_overdue")
            done += 1
            continue
        previous = esc.level
        try:
            nxt = _to_next_level(db, ctx, esc, at=at, expected_version=None)
        except ConflictError:
            continue  # decided or moved by hand in the meantime: nothing to do
        _step(db, esc, "auto_moved_up", note=f"termijn van niveau {previous} verstreken", at=at)
        _after_level_change(db, ctx, esc, nxt, at)
        _audit(db, None, esc, "update", f"termijn verstreken, automatisch naar niveau {nxt.number}", job=JOB_NAME)
        notify.escalation_event(db, ctx, esc, "auto_moved_up")
        done += 1
    soon = db.exec(select(Escalation).where(Escalation.status.in_(OPEN_STATUSES), Escalation.deadline_at > at)
                   .order_by(Escalation.id).execution_options(populate_existing=True)).all()
    for esc in soon:
        if esc.warned_level >= esc.level:
            continue
        ctx = sharing.load_context(db, sharing_case(db, esc))
        if as_utc(esc.deadline_at) - ladder_of(ctx).warn_before(esc.urgency) > as_utc(at):
            continue
        if not claim(db, f"escalatie:{esc.id}:niveau:{esc.level}:waarschuwing", JOB_NAME):
            continue
        esc.warned_level = esc.level
        _step(db, esc, "warned", at=at)
        db.flush()
        _audit(db, None, esc, "update", "waarschuwing: termijn verloopt bijna", job=JOB_NAME)
        notify.escalation_event(db, ctx, esc, "warned")
        done += 1
    return done
