"""Privacy operations on one person (data subject), for the privacy officer only.

The privacy officer is not in any circle and never sees a case through
:mod:`mda.core.sharing`; this module is their separate, narrower channel: find a person,
list who accessed their data (the NEN 7513 client view), export what the platform holds
about them, and destroy it on request after a refuted suspicion. Each function checks the
permission and writes an audit row naming the person, so these look-ups show up in the
person's own access log too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, or_, select

from mda.auth.models import User
from mda.auth.services import ServiceError
from mda.cases import catalogue, validation
from mda.cases.models import BreakGlass, Case, Consent, ConsentRecipient, DutyConflictDecision, Item, ItemPerson, Person
from mda.core import audit
from mda.core.audit import AuditEvent
from mda.core.audit_subjects import AuditSubject
from mda.core.csvsafe import csv_text
from mda.core.permissions import has_permission
from mda.core.timeutil import format_local, utcnow
from mda.documents.models import Document
from mda.organisations.models import Organisation
from mda.privacy.models import DestructionRecord
from mda.privacy.services import PAGE_SIZE

BASIS = "privacyfunctionaris: verzoek van betrokkene (AVG art. 15-17)"
BASIS_REVIEW = "privacyfunctionaris: toezicht op doorbraken"


def _require_officer(user: User) -> None:
    if not has_permission(user, "privacy.manage"):
        raise PermissionError("alleen de privacyfunctionaris")


@dataclass
class Subject:
    """A person with the case they belong to."""

    person: Person
    case: Case


def find_persons(db: Session, officer: User, *, bsn: str = "", name: str = "", date_of_birth: date | None = None,
                 case_reference: str = "") -> list[Subject]:
    """Persons by BSN, by name and date of birth, or by case reference; the search is audited."""
    _require_officer(officer)
    conditions = []
    if problem := validation.bsn_problem(bsn):
        raise ServiceError(problem)
    if bsn := validation.normalise_bsn(bsn) or "":
        conditions.append(Person.bsn == bsn)
    if date_of_birth is not None:
        conditions.append(Person.date_of_birth == date_of_birth)
    if case_reference.strip():
        conditions.append(Case.reference == case_reference.strip().upper())
    if not conditions:
        raise ServiceError("Zoek op BSN, op naam en geboortedatum, of op casusnummer.")
    rows = db.exec(select(Person, Case).join(Case, Case.id == Person.case_id).where(*conditions)
                   .order_by(Case.reference, Person.id)).all()
    found = [Subject(p, c) for p, c in rows if name_matches(name, p.name)]
    audit.record(db, "search", user=officer, object_type="person", person_ids=[s.person.id for s in found],
                 basis=BASIS, summary=f"personen gezocht door privacyfunctionaris: {len(found)} gevonden")
    return found


def name_matches(wanted: str, name: str) -> bool:
    """Whether *name* fits what was typed: case and accents ignored, every typed part found in the name
    ("jose pere" finds "José Pérez-Ruiz"); an empty search term fits everyone."""
    parts = validation.normalise_name(wanted or "").split()
    have = validation.normalise_name(name or "")
    return all(part in have for part in parts)


def load_subject(db: Session, person_id: int) -> Subject | None:
    """The person and their case (None when unknown)."""
    person = db.get(Person, person_id)
    return Subject(person, db.get(Case, person.case_id)) if person is not None else None


@dataclass(frozen=True)
class LogPage:
    """One page of a person's access log: at most :data:`mda.privacy.services.PAGE_SIZE` rows, newest first, and
    whether older rows follow (the next page is the rows before the last one's id)."""

    rows: list[AuditEvent]
    more: bool


def access_log(db: Session, officer: User, subject: Subject, *, before: int | None = None,
               limit: int | None = None) -> LogPage:
    """The audit rows that name the person, newest first, one page (*before*: only rows older than that audit row
    id, for the next page): who, when, what, on what basis (NEN 7513 client view). Each page looked at is audited."""
    _require_officer(officer)
    limit = limit or PAGE_SIZE
    stmt = select(AuditEvent).where(AuditEvent.id.in_(_event_ids(subject.person.id)))
    if before is not None:
        stmt = stmt.where(AuditEvent.id < before)
    rows = list(db.exec(stmt.order_by(AuditEvent.id.desc()).limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    older = f", ouder dan auditregel-id {before}" if before is not None else ""
    audit.record(db, "view", user=officer, object_type="access_log", object_id=subject.person.id,
                 case_id=subject.case.id, person_ids=[subject.person.id], basis=BASIS,
                 summary=f"inzagelog van persoon nr. {subject.person.id} bekeken ({len(rows)} regels{older})")
    return LogPage(rows, more)


def _items_of(db: Session, person_id: int) -> list[Item]:
    ids = db.exec(select(ItemPerson.item_id).where(ItemPerson.person_id == person_id)).all()
    return list(db.exec(select(Item).where(Item.id.in_(ids)).order_by(Item.id))) if ids else []


def _documents_of(db: Session, item_ids: list[int]) -> dict:
    """The document rows of these items (item id -> row), in one statement."""
    return {d.item_id: d for d in db.exec(select(Document).where(Document.item_id.in_(item_ids)))} if item_ids else {}


def _document_entry(doc) -> str | None:
    """How the export names the file behind a document item (the title is its content; the file goes on request
    through the case, not in this export)."""
    if doc is None:
        return None
    state = f"bestand vernietigd op {format_local(doc.destroyed_at, '%Y-%m-%d')}" if doc.destroyed_at else "bestand"
    return f"document nr. {doc.number} ({doc.content_type}, {doc.size} bytes; {state})"


def export_data(db: Session, officer: User, subject: Subject) -> dict:
    """Everything the platform holds about the person, as one document; the export is audited."""
    _require_officer(officer)
    p, case = subject.person, subject.case
    orgs = {o.id: o.name for o in db.exec(select(Organisation))}
    cats = catalogue.categories()
    consents = list(db.exec(select(Consent).where(Consent.person_id == p.id).order_by(Consent.id)))
    recipients: dict[int, list[str]] = {}
    for rec in db.exec(select(ConsentRecipient).where(ConsentRecipient.consent_id.in_([c.id for c in consents]))):
        recipients.setdefault(rec.consent_id, []).append(orgs.get(rec.organisation_id, "?"))
    decisions = db.exec(select(DutyConflictDecision).where(DutyConflictDecision.case_id == case.id, or_(
        DutyConflictDecision.person_id == p.id, DutyConflictDecision.person_id.is_(None)))).all()
    items = _items_of(db, p.id)
    documents = _documents_of(db, [i.id for i in items])
    log = _log_rows(db, p.id)
    document = {
        "export_gemaakt_op": format_local(utcnow(), "%Y-%m-%d %H:%M"),
        "casus": {"nummer": case.reference, "fase": case.phase_name,
                  "geopend": format_local(case.opened_at, "%Y-%m-%d"),
                  "afgesloten": format_local(case.closed_at, "%Y-%m-%d")},
        "persoon": {"nummer": p.id, "rol": p.role_name, "naam": p.name,
                    "geboortedatum": p.date_of_birth.isoformat() if p.date_of_birth else None, "bsn": p.bsn,
                    "adres": p.address, "bron": orgs.get(p.source_organisation_id, ""),
                    "vernietigd_op": format_local(p.destroyed_at, "%Y-%m-%d") or None},
        "gegevens": [{"nummer": i.id, "categorie": cats[i.category].name if i.category in cats else i.category,
                      "inhoud": i.content, "bron": orgs.get(i.source_organisation_id, ""),
                      "datum": i.recorded_on.isoformat(),
                      "vernietigd_op": format_local(i.destroyed_at, "%Y-%m-%d") or None,
                      "document": _document_entry(documents.get(i.id))} for i in items],
        "toestemmingen": [{"nummer": c.id, "gegeven_door": c.given_by, "doel": c.purpose, "wijze": c.method,
                           "categorieen": sorted(c.category_codes), "ontvangers": sorted(recipients.get(c.id, [])),
                           "gegeven_op": c.given_on.isoformat(),
                           "geldig_tot": c.valid_until.isoformat() if c.valid_until else None,
                           "ingetrokken_op": format_local(c.withdrawn_at, "%Y-%m-%d %H:%M") or None}
                          for c in consents],
        "besluiten_conflict_van_plichten": [{"nummer": d.id, "ontvanger": orgs.get(d.organisation_id, ""),
                                             "categorie": d.category, "besloten_op": format_local(d.decided_at),
                                             "afweging": d.reason} for d in decisions],
        "inzage": [{"tijd": format_local(r.occurred_at, "%Y-%m-%d %H:%M:%S"), "gebruiker": r.user_name,
                    "organisatie": r.organisation_name, "actie": r.action, "grondslag": r.basis}
                   for r in log],
    }
    audit.record(db, "export", user=officer, object_type="person", object_id=p.id, case_id=case.id,
                 person_ids=[p.id], basis=BASIS, summary=f"gegevens van persoon nr. {p.id} geëxporteerd")
    return document


def _log_rows(db: Session, person_id: int) -> list[AuditEvent]:
    """Audit rows that name *person_id* in the indexed ``audit_subject`` table, oldest first."""
    # by id: the chain's order (rows are sealed in insertion order), and a row still pending has its place too
    return list(db.exec(select(AuditEvent).where(AuditEvent.id.in_(_event_ids(person_id))).order_by(AuditEvent.id)))


def _event_ids(person_id: int):
    """The ids of the audit rows that name *person_id*, as a subquery of the indexed ``audit_subject`` table."""
    return select(AuditSubject.event_id).where(AuditSubject.person_id == person_id).distinct()


def export_json(document: dict) -> str:
    """The export as indented JSON."""
    return json.dumps(document, ensure_ascii=False, indent=2)


def export_csv(document: dict) -> str:
    """The export flattened to rows of (section, number, field, value), semicolon-separated."""
    rows = [["onderdeel", "nummer", "veld", "waarde"]]
    for section in ("casus", "persoon"):
        rows += [[section, "", key, value] for key, value in document[section].items()]
    for section in ("gegevens", "toestemmingen", "besluiten_conflict_van_plichten", "inzage"):
        for n, row in enumerate(document[section], start=1):
            rows += [[section, row.get("nummer", n), key, value] for key, value in row.items()]
    return csv_text(rows)


def destroy(db: Session, officer: User, subject: Subject, *, requested_by: str, requested_on: date | None,
            reason: str, refuted: bool) -> DestructionRecord:
    """Destroy a person's data on request after a refuted suspicion; keep a record of the destruction."""
    _require_officer(officer)
    p, case = subject.person, subject.case
    problems = []
    if p.destroyed_at is not None:
        problems.append("De gegevens van deze persoon zijn al vernietigd.")
    if not requested_by.strip():
        problems.append("Vul in wie om vernietiging vroeg.")
    if requested_on is None:
        problems.append("Vul de datum van het verzoek in.")
    elif problem := validation.not_in_future(requested_on, "De datum van het verzoek"):
        problems.append(problem)
    if not refuted:
        problems.append("Vernietiging op verzoek kan alleen als het vermoeden is weerlegd; bevestig dat.")
    if len(reason.strip()) < 10:
        problems.append("Beschrijf het verzoek en de weerlegging (minstens 10 tekens).")
    if problems:
        raise ServiceError(" ".join(problems))
    now = utcnow()
    items = [i for i in _items_of(db, p.id) if i.destroyed_at is None]
    for item in items:
        item.content, item.destroyed_at = "", now
        db.add(item)
    consents = list(db.exec(select(Consent).where(Consent.person_id == p.id)))
    for consent in consents:
        consent.given_by, consent.purpose, consent.withdrawal_reason = "", "", ""
        consent.withdrawn_at = consent.withdrawn_at or now
        db.add(consent)
    decisions = list(db.exec(select(DutyConflictDecision).where(DutyConflictDecision.person_id == p.id)))
    for decision in decisions:
        decision.reason, decision.revoked_at = "", decision.revoked_at or now
        db.add(decision)
    from mda.cases.history import forget

    forget(db, case.id, "person", [p.id])  # earlier versions go with the data
    forget(db, case.id, "item", [i.id for i in items])
    role = p.role_name
    p.name, p.date_of_birth, p.bsn, p.address, p.destroyed_at = "", None, None, "", now
    db.add(p)
    summary = (f"persoon nr. {p.id} ({role}); {len(items)} gegeven(s)"
               f"{' (' + ', '.join(str(i.id) for i in items) + ')' if items else ''}; "
               f"{len(consents)} toestemming(en); {len(decisions)} besluit(en) conflict van plichten")
    record = DestructionRecord(person_id=p.id, case_id=case.id, case_reference=case.reference,
                               requested_by=requested_by.strip()[:200], requested_on=requested_on,
                               reason=reason.strip()[:2000], performed_by_id=officer.id, performed_at=now,
                               summary=summary)
    db.add(record)
    db.flush()
    audit.record(db, "delete", user=officer, object_type="person", object_id=p.id, case_id=case.id,
                 person_ids=[p.id], basis="vernietiging op verzoek na weerlegd vermoeden (AVG art. 17)",
                 summary=f"vernietigd: {summary}")
    return record


def destruction_records(db: Session, officer: User) -> list[DestructionRecord]:
    """Every destruction, newest first; looking at the list is audited with the persons it names."""
    _require_officer(officer)
    records = list(db.exec(select(DestructionRecord).order_by(DestructionRecord.performed_at.desc())))
    audit.record(db, "view", user=officer, object_type="destruction_list",
                 person_ids=[r.person_id for r in records], basis=BASIS,
                 summary=f"lijst van vernietigingen bekeken ({len(records)})")
    return records


def break_glass_list(db: Session, officer: User) -> list[dict]:
    """Every break-glass opening, unreviewed first, with who, which case and item, and the reason."""
    _require_officer(officer)
    rows = db.exec(select(BreakGlass, Case, User, Item).join(Case, Case.id == BreakGlass.case_id)
                   .join(User, User.id == BreakGlass.user_id).join(Item, Item.id == BreakGlass.item_id)
                   .order_by(BreakGlass.opened_at.desc())).all()
    item_ids = [item.id for _bg, _case, _user, item in rows]
    person_ids = list(db.exec(select(ItemPerson.person_id).where(ItemPerson.item_id.in_(item_ids)))) if rows else []
    audit.record(db, "view", user=officer, object_type="break_glass_list", person_ids=person_ids,
                 basis=BASIS_REVIEW, summary=f"lijst van doorbraken bekeken ({len(rows)})")
    cats = catalogue.categories()
    result = [dict(grant=bg, reference=case.reference, user=user.name, organisation=user.organisation.name,
                   category=cats[item.category].name if item.category in cats else item.category)
              for bg, case, user, item in rows]
    # waiting for review first, then unjustified ones still to follow up, then the rest
    return sorted(result, key=lambda r: (r["grant"].reviewed_at is not None,
                                         not (r["grant"].judgement == "onterecht" and not r["grant"].followed_up_at)))


JUDGEMENTS = {"terecht": "terecht", "onterecht": "onterecht"}


def review_break_glass(db: Session, officer: User, grant_id: int, judgement: str | None = None,
                       comment: str = "") -> BreakGlass:
    """Record the privacy officer's judgement of a break-glass opening (terecht / onterecht) with a comment."""
    _require_officer(officer)
    grant = db.get(BreakGlass, grant_id)
    if grant is None:
        raise ServiceError("Deze doorbraak bestaat niet.")
    if grant.reviewed_at is not None:
        raise ServiceError("Deze doorbraak is al beoordeeld.")
    problems = []
    if judgement not in JUDGEMENTS:
        problems.append("Kies of de doorbraak terecht of onterecht was.")
    if len((comment or "").strip()) < 5:
        problems.append("Licht uw oordeel toe (minstens 5 tekens).")
    if problems:
        raise ServiceError(" ".join(problems))
    grant.reviewed_at, grant.reviewed_by_id = utcnow(), officer.id
    grant.judgement, grant.review_comment = judgement, comment.strip()[:2000]
    db.add(grant)
    db.flush()
    person_ids = list(db.exec(select(ItemPerson.person_id).where(ItemPerson.item_id == grant.item_id)))
    audit.record(db, "update", user=officer, object_type="break_glass", object_id=grant.id, case_id=grant.case_id,
                 person_ids=person_ids, basis=BASIS_REVIEW,
                 subjects=[(pid, grant.item_id, BASIS_REVIEW, "doorbraak") for pid in person_ids]
                 or [(None, grant.item_id, BASIS_REVIEW, "doorbraak")],
                 summary=f"doorbraak nr. {grant.id} beoordeeld door privacyfunctionaris: {judgement}")
    return grant


def follow_up_break_glass(db: Session, officer: User, grant_id: int, text: str) -> BreakGlass:
    """Record what was done about an unjustified break-glass opening."""
    _require_officer(officer)
    grant = db.get(BreakGlass, grant_id)
    if grant is None:
        raise ServiceError("Deze doorbraak bestaat niet.")
    if grant.judgement != "onterecht":
        raise ServiceError("Alleen een onterechte doorbraak krijgt een opvolging.")
    if len((text or "").strip()) < 5:
        raise ServiceError("Beschrijf de opvolging (minstens 5 tekens).")
    grant.follow_up, grant.followed_up_at = text.strip()[:2000], utcnow()
    db.add(grant)
    db.flush()
    audit.record(db, "update", user=officer, object_type="break_glass", object_id=grant.id, case_id=grant.case_id,
                 summary=f"opvolging van onterechte doorbraak nr. {grant.id} vastgelegd")
    return grant
