"""Reading the audit trail (reading it is itself audited)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, func, select

from mda.core.audit import ACTIONS, AuditEvent
from mda.core.timeutil import LOCAL_TZ, format_local


@dataclass
class AuditFilter:
    """What the privacy officer filters on; dates are local (Europe/Amsterdam) days."""

    user: str = ""
    case_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    action: str = ""

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in vars(self).items() if v not in (None, "")]
        return ", ".join(parts) or "geen filter"


def query_audit(db: Session, flt: AuditFilter, limit: int | None = 500) -> list[AuditEvent]:
    """Audit rows matching *flt*, newest first."""
    stmt = select(AuditEvent)
    if flt.user:
        # user_name holds addresses as typed at a failed login too, so compare case-insensitively;
        # autoescape keeps % and _ in the search term literal
        stmt = stmt.where(func.lower(AuditEvent.user_name).contains(flt.user.strip().lower(), autoescape=True))
    if flt.case_id is not None:
        stmt = stmt.where(AuditEvent.case_id == flt.case_id)
    if flt.action:
        if flt.action not in ACTIONS:
            raise ValueError(flt.action)
        stmt = stmt.where(AuditEvent.action == flt.action)
    if flt.date_from:
        stmt = stmt.where(AuditEvent.occurred_at >= _local_midnight(flt.date_from))
    if flt.date_to:
        stmt = stmt.where(AuditEvent.occurred_at < _local_midnight(flt.date_to + timedelta(days=1)))
    stmt = stmt.order_by(AuditEvent.seq.desc())
    if limit:
        stmt = stmt.limit(limit)
    return list(db.exec(stmt))


def _local_midnight(day: date) -> datetime:
    from datetime import UTC

    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ).astimezone(UTC)


CSV_COLUMNS = ["seq", "tijd (Europe/Amsterdam)", "gebruiker", "organisatie", "namens", "actie",
               "objecttype", "object-id", "casus-id", "persoon-ids", "grondslag", "adres",
               "uitkomst", "omschrijving", "hash"]


def audit_csv(rows: list[AuditEvent]) -> str:
    """The rows as CSV (semicolon-separated, as Dutch Excel expects)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([r.seq, format_local(r.occurred_at, "%Y-%m-%d %H:%M:%S"), r.user_name,
                         r.organisation_name, r.on_behalf_of, r.action, r.object_type, r.object_id,
                         r.case_id or "", r.person_ids, r.basis, r.client_address, r.outcome,
                         _csv_safe(r.summary), r.hash])
    return out.getvalue()


def _csv_safe(value: str) -> str:
    """Defuse spreadsheet formulas (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
