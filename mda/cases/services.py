"""Changing a case: persons, items, consents, conflict-of-duties decisions, break-glass, phase.

Every function takes the :class:`~mda.core.sharing.CaseContext` that
:func:`~mda.core.sharing.load_case_or_404` returned (so the caller is in the circle),
validates everything before it writes (a :class:`ServiceError` carries the Dutch message
and nothing is stored), flushes, and writes its audit row. The request commits once.
The circle itself is managed in :mod:`mda.cases.circle`.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from mda.auth.models import User
from mda.auth.services import ServiceError
from mda.cases import catalogue, validation
from mda.cases.intake import PersonInput, person_problems
from mda.cases.models import (
    PHASES,
    BreakGlass,
    Consent,
    ConsentRecipient,
    DutyConflictDecision,
    Item,
    ItemPerson,
    Person,
)
from mda.core import audit, confirmations, sharing, signals
from mda.core.timeutil import format_local, utcnow

CONSENT_METHODS = {"mondeling": "Mondeling", "schriftelijk": "Schriftelijk"}
#: below this age a legal representative gives consent for a child
CONSENT_AGE = 16


def _require_open(ctx: sharing.CaseContext) -> None:
    if ctx.case.phase == "afgesloten" or ctx.case.purged_at is not None:
        raise ServiceError("Deze casus is afgesloten: er kunnen geen gegevens meer worden toegevoegd.")


def _case_persons(db: Session, ctx: sharing.CaseContext) -> dict[int, Person]:
    return {p.id: p for p in db.exec(select(Person).where(Person.case_id == ctx.case.id,
                                                          Person.destroyed_at.is_(None)))}


def _unknown_categories(codes: list[str]) -> list[str]:
    known = catalogue.categories()
    return [c for c in codes if c not in known]


def _names(ctx: sharing.CaseContext, org_ids) -> str:
    sharing.load_organisations(Session.object_session(ctx.case), ctx, org_ids)
    return ", ".join(sorted(ctx.org_names.get(o, f"organisatie {o}") for o in org_ids))


# ----------------------------------------------------------------------------- persons and items
def add_person(db: Session, user: User, ctx: sharing.CaseContext, data: PersonInput) -> Person:
    """Register a person of the household; the user's organisation is the source of their data."""
    _require_open(ctx)
    problems = person_problems(data)
    bsn = validation.normalise_bsn(data.bsn)
    if bsn and not problems and any(p.bsn == bsn for p in _case_persons(db, ctx).values()):
        problems.append("Er staat al een persoon met dit BSN in deze casus.")
    if problems:
        raise ServiceError(" ".join(problems))
    person = Person(case_id=ctx.case.id, role=data.role, name=data.name.strip(), date_of_birth=data.date_of_birth,
                    bsn=bsn, address=data.address.strip(), source_organisation_id=user.organisation_id)
    db.add(person)
    db.flush()
    audit.record(db, "create", user=user, object_type="person", object_id=person.id, case_id=ctx.case.id,
                 person_ids=[person.id], summary=f"persoon ({person.role_name}) toegevoegd aan {ctx.case.reference}")
    return person


def add_item(db: Session, user: User, ctx: sharing.CaseContext, *, category: str, content: str,
             recorded_on: date | None, person_ids: list[int]) -> Item:
    """Add an item of the minimal data set; its source organisation is the author's organisation."""
    _require_open(ctx)
    problems = []
    if _unknown_categories([category]):
        problems.append(f"De categorie '{category}' staat niet in de catalogus. Kies een categorie uit de lijst.")
    content = content.strip()
    problems += validation.item_problems(content, recorded_on)
    persons = _case_persons(db, ctx)
    if set(person_ids) - set(persons):
        problems.append("Kies alleen personen uit deze casus.")
    if user.organisation_id not in ctx.circle_org_ids:
        problems.append("Uw organisatie staat niet in de kring van deze casus.")
    if problems:
        raise ServiceError(" ".join(problems))
    item = Item(case_id=ctx.case.id, category=category, content=content, source_organisation_id=user.organisation_id,
                author_id=user.id, recorded_on=recorded_on, created_at=utcnow())
    db.add(item)
    db.flush()
    for person_id in sorted(set(person_ids)):
        db.add(ItemPerson(item_id=item.id, person_id=person_id))
    db.flush()
    audit.record(db, "create", user=user, object_type="item", object_id=item.id, case_id=ctx.case.id,
                 person_ids=sorted(set(person_ids)),
                 summary=f"gegeven ({category}) toegevoegd aan {ctx.case.reference}")
    return item


# ----------------------------------------------------------------------------- consents
def record_consent(db: Session, user: User, ctx: sharing.CaseContext, *, person_id: int | None, by_representative: bool,
                   representative: str, purpose: str, method: str, recipient_ids: list[int], categories: list[str],
                   given_on: date | None, valid_until: date | None) -> Consent:
    """Record a consent; recipients must be in the circle and categories in the catalogue."""
    _require_open(ctx)
    problems = []
    person = _case_persons(db, ctx).get(person_id) if person_id is not None else None
    if person is None:
        problems.append("Kies een persoon uit deze casus.")
    representative = representative.strip()
    if by_representative and not representative:
        problems.append("Vul de naam van de wettelijk vertegenwoordiger in.")
    if person is not None and not by_representative and person.role == "kind":
        age = validation.age_on(person.date_of_birth, given_on or validation.today())
        if age is None or age < CONSENT_AGE:
            problems.append(f"Voor een kind jonger dan {CONSENT_AGE} jaar (of met onbekende leeftijd) geeft de "
                            "wettelijk vertegenwoordiger toestemming.")
    if not purpose.strip():
        problems.append("Vul het doel van de toestemming in.")
    if method not in CONSENT_METHODS:
        problems.append("Kies hoe de toestemming is verkregen (mondeling of schriftelijk).")
    if not recipient_ids:
        problems.append("Kies minstens één ontvangende organisatie.")
    outside = set(recipient_ids) - ctx.circle_org_ids
    if outside:
        problems.append("Toestemming kan alleen gelden voor organisaties in de kring van deze casus; "
                        f"niet in de kring: {_names(ctx, outside)}.")
    if not categories:
        problems.append("Kies minstens één categorie gegevens.")
    if unknown := _unknown_categories(categories):
        problems.append(f"Onbekende categorie(ën): {', '.join(unknown)}. Kies categorieën uit de catalogus.")
    if given_on is None:
        problems.append("Vul de datum in waarop de toestemming is gegeven.")
    elif problem := validation.not_in_future(given_on, "De datum van de toestemming"):
        problems.append(problem)
    if valid_until is not None:
        if given_on is not None and valid_until < given_on:
            problems.append("'Geldig tot' ligt vóór de datum waarop de toestemming is gegeven.")
        elif valid_until < validation.today():
            problems.append("'Geldig tot' ligt in het verleden: deze toestemming zou al verlopen zijn.")
    if problems:
        raise ServiceError(" ".join(problems))
    given_by = f"{representative} (wettelijk vertegenwoordiger)" if by_representative else "betrokkene zelf"
    consent = Consent(case_id=ctx.case.id, person_id=person.id, given_by=given_by[:200], purpose=purpose.strip()[:1000],
                      method=method, categories_text=" ".join(sorted(set(categories))), recorded_by_id=user.id,
                      given_on=given_on, valid_until=valid_until, created_at=utcnow())
    db.add(consent)
    db.flush()
    for org_id in sorted(set(recipient_ids)):
        db.add(ConsentRecipient(consent_id=consent.id, organisation_id=org_id))
    db.flush()
    audit.record(db, "create", user=user, object_type="consent", object_id=consent.id, case_id=ctx.case.id,
                 person_ids=[person.id], basis="toestemming",
                 summary=f"toestemming nr. {consent.id} vastgelegd ({method}): {consent.categories_text} "
                         f"aan {_names(ctx, recipient_ids)}")
    return consent


def load_consent(db: Session, ctx: sharing.CaseContext, consent_id: int) -> Consent | None:
    """A consent of this case (None when it is not one)."""
    consent = db.get(Consent, consent_id)
    return consent if consent is not None and consent.case_id == ctx.case.id else None


def withdraw_consent(db: Session, user: User, ctx: sharing.CaseContext, consent_id: int, reason: str) -> Consent:
    """Withdraw a consent; it stops being a basis at once (also for a closed case)."""
    consent = load_consent(db, ctx, consent_id)
    if consent is None:
        raise ServiceError("Deze toestemming hoort niet bij deze casus.")
    if consent.withdrawn_at is not None:
        raise ServiceError(f"Deze toestemming is al ingetrokken (op {format_local(consent.withdrawn_at)}).")
    if consent.valid_until is not None and consent.valid_until < validation.today():
        raise ServiceError(f"Deze toestemming is al verlopen (op {consent.valid_until:%d-%m-%Y}) en is dus geen "
                           "grondslag meer; intrekken is niet nodig.")
    reason = reason.strip()
    if not reason:
        raise ServiceError("Vul de reden van de intrekking in (bijvoorbeeld: 'betrokkene trekt toestemming in').")
    consent.withdrawn_at, consent.withdrawn_by_id, consent.withdrawal_reason = utcnow(), user.id, reason[:1000]
    db.add(consent)
    db.flush()
    audit.record(db, "update", user=user, object_type="consent", object_id=consent.id, case_id=ctx.case.id,
                 person_ids=[consent.person_id], summary=f"toestemming nr. {consent.id} ingetrokken")
    return consent


# ----------------------------------------------------------------------------- legal grounds
def record_duty_conflict(db: Session, user: User, ctx: sharing.CaseContext, *, organisation_id: int | None,
                         category: str, person_id: int | None, reason: str,
                         valid_until: date | None) -> DutyConflictDecision:
    """Record a decision to share without consent under *conflict van plichten* (coordinator or team lead)."""
    if not sharing.can_manage(user, ctx, "duty_conflict"):
        raise PermissionError("alleen procesregisseur of teamleider")
    _require_open(ctx)
    problems = []
    if organisation_id not in ctx.circle_org_ids:
        problems.append("Kies een ontvangende organisatie uit de kring van deze casus.")
    if _unknown_categories([category]):
        problems.append(f"De categorie '{category}' staat niet in de catalogus.")
    if person_id is not None and person_id not in _case_persons(db, ctx):
        problems.append("Kies een persoon uit deze casus (of 'alle personen').")
    if len(reason.strip()) < 20:
        problems.append("Beschrijf waarom er sprake is van conflict van plichten (minstens 20 tekens): "
                        "welk ernstig gevaar, en waarom toestemming vragen niet kan.")
    if valid_until is not None and valid_until < validation.today():
        problems.append("'Geldig tot' ligt in het verleden.")
    if problems:
        raise ServiceError(" ".join(problems))
    decision = DutyConflictDecision(case_id=ctx.case.id, organisation_id=organisation_id, category=category,
                                    person_id=person_id, decided_by_id=user.id, reason=reason.strip()[:2000],
                                    decided_at=utcnow(), valid_until=valid_until)
    db.add(decision)
    db.flush()
    audit.record(db, "create", user=user, object_type="duty_conflict", object_id=decision.id, case_id=ctx.case.id,
                 person_ids=[person_id] if person_id else [], basis="conflict van plichten",
                 summary=f"besluit conflict van plichten nr. {decision.id}: {category} aan "
                         f"{_names(ctx, [organisation_id])}")
    return decision


def break_glass(db: Session, user: User, ctx: sharing.CaseContext, item: Item, reason: str) -> BreakGlass:
    """Open a withheld item in acute danger (rule 6); refused when the item is visible anyway."""
    if sharing.item_decision(user, ctx, item).visible:
        raise ServiceError("Dit gegeven is al voor u zichtbaar; een doorbraak is niet nodig.")
    try:
        return sharing.open_break_glass(db, user, ctx, item, reason)
    except ValueError as exc:
        raise ServiceError(str(exc)) from None


# ----------------------------------------------------------------------------- phase
def load_duty_conflict(db: Session, ctx: sharing.CaseContext, decision_id: int) -> DutyConflictDecision | None:
    """A conflict-of-duties decision of this case (None when it is not one)."""
    decision = db.get(DutyConflictDecision, decision_id)
    return decision if decision is not None and decision.case_id == ctx.case.id else None


def revoke_duty_conflict(db: Session, user: User, ctx: sharing.CaseContext, decision_id: int,
                         reason: str) -> DutyConflictDecision:
    """Revoke a conflict-of-duties decision (who may record one may revoke it); from now on it is no basis."""
    if not sharing.can_manage(user, ctx, "duty_conflict"):
        raise PermissionError("alleen procesregisseur of teamleider")
    decision = load_duty_conflict(db, ctx, decision_id)
    if decision is None:
        raise ServiceError("Dit besluit hoort niet bij deze casus.")
    if decision.revoked_at is not None:
        raise ServiceError(f"Dit besluit is al ingetrokken (op {format_local(decision.revoked_at)}).")
    decision.revoked_at = utcnow()
    db.add(decision)
    db.flush()
    ctx.decisions[:] = [d for d in ctx.decisions if d.id != decision.id]
    confirmations.record(db, user, "besluit_intrekken", "duty_conflict_decision", decision.id, reason,
                         case_id=ctx.case.id)
    return decision


def change_phase(db: Session, user: User, ctx: sharing.CaseContext, phase: str, reason: str | None = None) -> None:
    """Move the case to *phase* (coordinator only); closing records the date (and needs a reason), reopening
    clears it."""
    if not sharing.can_manage(user, ctx, "coordinate"):
        raise PermissionError("alleen de procesregisseur van de casus")
    case = ctx.case
    for provider in signals.phase_lock_providers:
        refusal = provider(db, case, phase)
        if refusal:
            raise ServiceError(refusal)
    if case.purged_at is not None:
        raise ServiceError("De gegevens van deze casus zijn na de bewaartermijn verwijderd.")
    if phase not in PHASES:
        raise ServiceError("Kies een geldige fase.")
    if phase == case.phase:
        raise ServiceError(f"De casus is al in de fase {case.phase_name}.")
    before = case.phase_name
    case.phase = phase
    case.closed_at = utcnow() if phase == "afgesloten" else None
    db.add(case)
    db.flush()
    audit.record(db, "update", user=user, object_type="case", object_id=case.id, case_id=case.id,
                 summary=f"fase van {case.reference}: {before} -> {case.phase_name}")
    if phase == "afgesloten":
        confirmations.record(db, user, "casus_afsluiten", "case", case.id, reason or "", case_id=case.id)
