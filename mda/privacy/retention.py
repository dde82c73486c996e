"""The retention period: purge cases closed longer than RETENTION_DAYS, leave an anonymous stub.

``flask --app mda retention`` lists what would be purged (dry run); ``--apply`` purges.
A purged case keeps its reference, dates and phase (``purged_at`` set); every item,
person, consent text, decision reason and break-glass reason is blanked. The audit
trail itself is kept (it has its own, legal, retention).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import Session, select

from mda import db
from mda.cases.models import BreakGlass, Case, Consent, DutyConflictDecision, Item, Person
from mda.core import audit
from mda.core.confirmations import forget_reasons
from mda.core.timeutil import format_local, utcnow

#: cases purged per transaction by ``retention --apply`` (a long backlog is purged in bounded steps)
BATCH = 100


def _due(days: int, now: datetime | None = None, *columns):
    cutoff = (now or utcnow()) - timedelta(days=days)
    return (select(*(columns or (Case,))).where(Case.closed_at.is_not(None), Case.closed_at < cutoff,
                                                Case.purged_at.is_(None))
            .order_by(Case.closed_at, Case.id))


def due_cases(db: Session, days: int, now: datetime | None = None, limit: int | None = None) -> list[Case]:
    """Cases closed more than *days* days ago and not purged yet, oldest first; selected by the database
    (the indexed ``closed_at``), never by loading every closed case."""
    stmt = _due(days, now)
    return list(db.exec(stmt.limit(limit) if limit else stmt))


def purge_case(db: Session, case: Case, now: datetime | None = None) -> dict[str, int]:
    """Blank everything personal of *case*; return how many records of each kind were blanked."""
    now = now or utcnow()
    counts = {"gegevens": 0, "personen": 0, "toestemmingen": 0, "besluiten": 0, "doorbraken": 0}
    for item in db.exec(select(Item).where(Item.case_id == case.id)):
        item.content, item.destroyed_at = "", item.destroyed_at or now
        db.add(item)
        counts["gegevens"] += 1
    for person in db.exec(select(Person).where(Person.case_id == case.id)):
        person.name, person.date_of_birth, person.bsn, person.address = "", None, None, ""
        person.destroyed_at = person.destroyed_at or now
        db.add(person)
        counts["personen"] += 1
    for consent in db.exec(select(Consent).where(Consent.case_id == case.id)):
        consent.given_by, consent.purpose, consent.withdrawal_reason = "", "", ""
        db.add(consent)
        counts["toestemmingen"] += 1
    for decision in db.exec(select(DutyConflictDecision).where(DutyConflictDecision.case_id == case.id)):
        decision.reason = ""
        db.add(decision)
        counts["besluiten"] += 1
    from mda.cases.history import forget

    forget(db, case.id)  # earlier versions go with the data
    forget_reasons(db, case.id)
    for grant in db.exec(select(BreakGlass).where(BreakGlass.case_id == case.id)):
        grant.reason = ""
        db.add(grant)
        counts["doorbraken"] += 1
    case.reason, case.goal, case.purged_at = "", "", now
    db.add(case)
    db.flush()
    audit.record(db, "delete", user_name="retentie", object_type="case", object_id=case.id, case_id=case.id,
                 basis="bewaartermijn verstreken",
                 summary=f"casus {case.reference} opgeschoond na de bewaartermijn: "
                         + ", ".join(f"{n} {k}" for k, n in counts.items()))
    return counts


@click.command("retention")
@with_appcontext
@click.option("--apply", "apply_", is_flag=True, help="Echt opschonen (zonder deze optie: alleen tonen).")
def retention_command(apply_: bool) -> None:
    """Purge cases closed longer than RETENTION_DAYS ago (dry run unless --apply)."""
    days = current_app.config["RETENTION_DAYS"]
    now = utcnow()
    if not apply_:
        listed = 0
        with Session(db.engine()) as s:
            for reference, closed_at in s.exec(_due(days, now, Case.reference, Case.closed_at)).yield_per(BATCH):
                click.echo(f"{reference}: afgesloten op {format_local(closed_at, '%d-%m-%Y')}")
                listed += 1
        if not listed:
            click.echo(f"Geen casussen die langer dan {days} dagen zijn afgesloten; niets te doen.")
        else:
            click.echo(f"Droogloop: {listed} casus(sen) zouden worden opgeschoond. "
                       "Gebruik --apply om dat echt te doen.")
        return
    purged = 0
    while True:  # one unit of work per batch: an interruption keeps every batch already done
        with db.unit_of_work() as s:
            cases = due_cases(s, days, now, limit=BATCH)
            for case in cases:
                click.echo(f"{case.reference}: afgesloten op {format_local(case.closed_at, '%d-%m-%Y')}")
                purge_case(s, case, now)
        purged += len(cases)
        if len(cases) < BATCH:
            break
    if not purged:
        click.echo(f"Geen casussen die langer dan {days} dagen zijn afgesloten; niets te doen.")
        return
    click.echo(f"{purged} casus(sen) opgeschoond; van elk is een anonieme stomp bewaard.")
