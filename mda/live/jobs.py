"""Jobs of the live session (run by :mod:`mda.jobs`)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from mda.jobs import job
from mda.live.presence import clear_stale_presence


@job("live_aanwezigheid")
def clear_presence(db: Session, now: datetime) -> int:
    """Aanwezigheid opruimen van verbindingen die al tien minuten niets lieten horen (bv. na een gecrasht proces)."""
    return clear_stale_presence(db, now)
