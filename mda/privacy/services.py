"""Reading the audit trail (reading it is itself audited)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, func, select

from mda.core.audit import ACTIONS, AuditEvent, seal_pending
from mda.core.audit_subjects import AuditSubject
from mda.core.csvsafe import csv_text
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


#: Dutch names of the audit actions, outcomes and object types, for the audit pages (the CSV keeps the codes); every
#: object type the code records has one (tests/privacy/test_audit_page.py reads the source to check)
ACTION_NAMES = {"view": "bekeken", "create": "aangemaakt", "update": "gewijzigd", "delete": "verwijderd",
                "export": "geëxporteerd", "denied": "geweigerd", "login": "ingelogd", "login_failed":
                "inloggen mislukt", "logout": "uitgelogd", "break_glass": "doorbraak", "search": "gezocht"}
#: the outcomes :func:`mda.core.audit.record` writes; a success goes without saying
OUTCOME_NAMES = {"success": "", "denied": "geweigerd", "failure": "mislukt"}
OBJECT_NAMES = {"case": "casus", "person": "persoon", "item": "gegeven", "consent": "toestemming",
                "duty_conflict": "besluit conflict van plichten",
                "duty_conflict_decision": "besluit conflict van plichten", "break_glass": "doorbraak",
                "break_glass_list": "lijst van doorbraken", "case_circle": "kring", "referral": "aanmelding",
                "meeting": "overleg", "meeting_series": "overlegreeks", "agenda_item": "agendapunt",
                "invitation": "uitnodiging", "meeting_update": "update", "live": "live overleg",
                "document": "document", "audit_log": "audittrail", "access_log": "inzagelog",
                "user": "gebruiker", "account": "account", "organisation": "organisatie", "api_token": "API-token",
                "calendar_feed": "agenda-abonnement", "notice_preference": "meldingsvoorkeur",
                "permission": "recht", "oidc_provider": "inlogdienst", "sso_logout": "uitloggen via de inlogdienst",
                "destruction": "vernietiging", "destruction_list": "lijst van vernietigingen", "session": "sessie",
                "mail": "e-mail", "safety_plan": "veiligheidsplan", "plan_entry": "onderdeel van het plan",
                "plan_action": "actie uit het plan", "plan_version": "versie van het plan",
                "safety_score": "veiligheidsscore", "escalation": "escalatie",
                "escalation_figures": "escalatiecijfers", "demo": "demogegevens"}


def describe_action(action: str, outcome: str) -> str:
    """What an audit row did, in Dutch: "bekeken", "gewijzigd (geweigerd)"; the outcome only when it is not a
    success and the action's name does not say it already ("geweigerd", "inloggen mislukt")."""
    name = ACTION_NAMES.get(action, action)
    said = OUTCOME_NAMES.get(outcome, outcome)
    return f"{name} ({said})" if said and said not in name else name


#: rows per page on the audit page
PAGE_SIZE = 50


def query_audit(db: Session, flt: AuditFilter, limit: int | None = 500, before_seq: int | None = None
                ) -> list[AuditEvent]:
    """Audit rows matching *flt*, newest first (with *before_seq*: only older rows, for the next page).

    Rows still pending (PostgreSQL: the sealer chains them shortly after their commit) are sealed first, so that
    every row has its place in the chain, the order and the pages are the chain's, and none is left out."""
    seal_pending(db.get_bind(), wait=True, look_first=True)
    stmt = _filtered(select(AuditEvent), flt)
    if before_seq is not None:
        stmt = stmt.where(AuditEvent.seq < before_seq)
    stmt = stmt.order_by(AuditEvent.seq.desc())
    if limit:
        stmt = stmt.limit(limit)
    return list(db.exec(stmt))


def _filtered(stmt, flt: AuditFilter):
    """*stmt* narrowed to the rows matching *flt*."""
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
    return stmt


def _local_midnight(day: date) -> datetime:
    from datetime import UTC

    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ).astimezone(UTC)


# ----------------------------------------------------------------------------- what a row says was seen
def seen_counts(db: Session, event_ids: list[int]) -> dict[int, int]:
    """How many ``audit_subject`` rows (persons and items seen) each of *event_ids* has, in one query."""
    if not event_ids:
        return {}
    stmt = (select(AuditSubject.event_id, func.count(AuditSubject.id))
            .where(AuditSubject.event_id.in_(event_ids)).group_by(AuditSubject.event_id))
    return dict(db.exec(stmt).all())


def seen_page(db: Session, event_id: int, *, after_id: int | None = None,
              limit: int = PAGE_SIZE) -> list[AuditSubject]:
    """The persons and items audit row *event_id* says were seen, in the order written, one page at a time
    (*after_id*: the last subject row of the previous page)."""
    stmt = select(AuditSubject).where(AuditSubject.event_id == event_id)
    if after_id is not None:
        stmt = stmt.where(AuditSubject.id > after_id)
    return list(db.exec(stmt.order_by(AuditSubject.id).limit(limit)))


def describe_seen(subject: AuditSubject) -> str:
    """One subject row in words, with numbers only (the privacy officer opens a person by number):
    "persoon nr. 3 · gegeven nr. 12 · notulen"."""
    parts = []
    if subject.person_id is not None:
        parts.append(f"persoon nr. {subject.person_id}")
    if subject.item_id is not None:
        parts.append(f"gegeven nr. {subject.item_id}")
    if subject.kind:
        parts.append(subject.kind)
    return " · ".join(parts) or "(niets genoemd)"


def _seen_in_chunk(db: Session, event_ids: list[int]) -> dict[int, list[str]]:
    """The subjects of *event_ids* in words, per event (one query for a chunk of the CSV export)."""
    seen: dict[int, list[str]] = {}
    if event_ids:
        for row in db.exec(select(AuditSubject).where(AuditSubject.event_id.in_(event_ids))
                           .order_by(AuditSubject.event_id, AuditSubject.id)):
            text = describe_seen(row) + (f" ({row.basis})" if row.basis else "")
            seen.setdefault(row.event_id, []).append(text)
    return seen


CSV_COLUMNS = ["seq", "tijd (Europe/Amsterdam)", "gebruiker", "organisatie", "namens", "actie",
               "objecttype", "object-id", "casus-id", "persoon-ids", "grondslag", "adres",
               "uitkomst", "omschrijving", "gezien", "hash"]


def _csv_row(r: AuditEvent, seen: list[str]) -> list:
    return [r.seq, format_local(r.occurred_at, "%Y-%m-%d %H:%M:%S"), r.user_name, r.organisation_name,
            r.on_behalf_of, r.action, r.object_type, r.object_id, r.case_id or "", r.person_ids, r.basis,
            r.client_address, r.outcome, r.summary, "; ".join(seen), r.hash]


#: rows read per query while streaming the CSV export
EXPORT_CHUNK = 1000


def last_audit_id(db: Session) -> int:
    """The newest audit row's id: an export covers the trail up to here (rows written later are not in it)."""
    return db.exec(select(func.max(AuditEvent.id))).one() or 0


def count_audit(db: Session, flt: AuditFilter, up_to_id: int) -> int:
    """How many rows an export of *flt* up to row *up_to_id* holds (one count query, for its audit row)."""
    return db.exec(_filtered(select(func.count(AuditEvent.id)), flt).where(AuditEvent.id <= up_to_id)).one()


def stream_audit_csv(engine, flt: AuditFilter, up_to_id: int, chunk: int = EXPORT_CHUNK) -> Iterator[str]:
    """The filtered trail up to row *up_to_id* as CSV text, newest first, read *chunk* rows at a time; the column
    "gezien" lists every person and item each row says was seen (its ``audit_subject`` rows).

    Memory stays bounded whatever the trail's size: each chunk is one indexed keyset query
    (``id < last``) in a short read-only session of its own, written out and dropped.
    """
    seal_pending(engine, wait=True, look_first=True)  # every exported row with its number in the chain
    yield "\ufeff" + csv_text([CSV_COLUMNS])
    below = up_to_id + 1
    while True:
        with Session(engine) as db:
            stmt = _filtered(select(AuditEvent), flt).where(AuditEvent.id < below)
            rows = list(db.exec(stmt.order_by(AuditEvent.id.desc()).limit(chunk)))
            seen = _seen_in_chunk(db, [r.id for r in rows])
        if not rows:
            return
        yield csv_text(_csv_row(r, seen.get(r.id, [])) for r in rows)
        below = rows[-1].id
        if len(rows) < chunk:
            return
