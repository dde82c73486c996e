"""The escalation job of the job runner: move up when a level's time limit passed, warn before it does.

Idempotent: each move-up and each warning claims a :class:`~mda.jobs.models.JobMark` keyed by
escalation and level in the same unit of work, so two runs at once act once.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from mda.escalations import services
from mda.jobs import job


@job(services.JOB_NAME)
def escalation_deadlines(db: Session, now: datetime) -> int:
    """Escalaties: automatisch naar het volgende niveau na de termijn; waarschuwing vooraf."""
    return services.auto_move_up(db, now)
