"""Triage: a referral about a household already in a running case becomes an update of that case.

"Al bekend?" may find a person of the referral in a running case. Instead of opening a
duplicate, that case's own coordinator adds the referral to it: the referral's reason and
goal become an item of the case (category *risicosignalen*, source: the requester's
organisation), persons not yet in the case are added, the requester's organisation (and
the requester) join the circle, the referral is closed as accepted, and all of it is
audited. Someone who coordinates another case only sees whom to call (see
:func:`mda.cases.intake.check_known`).
"""

from __future__ import annotations

from sqlmodel import Session, select

from mda.auth.models import User
from mda.cases import validation
from mda.cases.intake import KnownMatch, _clear_persons, _decide, _notify_requester
from mda.cases.models import Case, CaseMember, CaseOrganisation, Item, ItemPerson, Person, Referral, ReferralPerson
from mda.core import audit, sharing
from mda.core.errors import ServiceError
from mda.core.permissions import has_permission
from mda.core.timeutil import format_local, to_local, utcnow

CATEGORY = "risicosignalen"


def addable_cases(db: Session, user: User, matches: list[KnownMatch]) -> dict[int, str]:
    """Running cases among *matches* that *user* coordinates: case id -> reference (offered as a button)."""
    ids = {m.case_id for m in matches if not m.recent_closed}
    if not ids:
        return {}
    return {c.id: c.reference for c in db.exec(select(Case).where(Case.id.in_(ids), Case.closed_at.is_(None),
                                                                 Case.coordinator_id == user.id))}


def _same(person: Person, wanted: ReferralPerson) -> bool:
    return bool((wanted.bsn and person.bsn == wanted.bsn) or (
        wanted.date_of_birth and person.date_of_birth == wanted.date_of_birth
        and validation.normalise_name(person.name) == validation.normalise_name(wanted.name)))


def add_to_case(db: Session, coordinator: User, referral: Referral, case_id: int) -> Case:
    """Add the referral to a running case the coordinator coordinates (see the module docstring)."""
    case = db.get(Case, case_id)
    if case is None or case.region_id != referral.region_id:
        raise ServiceError("Kies een lopende casus uit de controle 'al bekend?'.")
    ctx = sharing.load_context(db, case)
    if not sharing.can_manage(coordinator, ctx, "coordinate"):
        raise ServiceError("Alleen de procesregisseur van die casus kan de aanmelding eraan toevoegen; neem contact "
                           "met hem of haar op.")
    if case.closed_at is not None or case.purged_at is not None:
        raise ServiceError("Die casus is afgesloten; accepteer de aanmelding als nieuwe (herhaalde) casus.")
    wanted = list(db.exec(select(ReferralPerson).where(ReferralPerson.referral_id == referral.id,
                                                       ReferralPerson.cleared_at.is_(None))
                          .order_by(ReferralPerson.id)))
    existing = list(db.exec(select(Person).where(Person.case_id == case.id, Person.destroyed_at.is_(None))))
    if not any(_same(p, w) for p in existing for w in wanted):
        raise ServiceError("Geen van de personen van deze aanmelding komt voor in die casus.")
    _decide(referral, coordinator, "geaccepteerd")
    now = utcnow()
    concerned, added = [], []
    for w in wanted:
        match = next((p for p in existing if _same(p, w)), None)
        if match is None:
            match = Person(case_id=case.id, role=w.role, name=w.name, date_of_birth=w.date_of_birth, bsn=w.bsn,
                           address=w.address, source_organisation_id=referral.requester_organisation_id)
            db.add(match)
            db.flush()
            added.append(match.id)
        concerned.append(match.id)
    if referral.requester_organisation_id not in ctx.circle_org_ids:
        row = db.exec(select(CaseOrganisation).where(
            CaseOrganisation.case_id == case.id,
            CaseOrganisation.organisation_id == referral.requester_organisation_id)).first()
        row = row or CaseOrganisation(case_id=case.id, organisation_id=referral.requester_organisation_id,
                                      added_at=now)
        row.removed_at, row.added_by_id = None, coordinator.id
        db.add(row)
    requester = db.get(User, referral.requested_by_id)
    if requester.id not in ctx.member_user_ids and requester.id != coordinator.id and requester.active \
            and has_permission(requester, "case.work"):
        row = db.exec(select(CaseMember).where(CaseMember.case_id == case.id,
                                               CaseMember.user_id == requester.id)).first()
        row = row or CaseMember(case_id=case.id, user_id=requester.id, added_at=now)
        row.removed_at, row.added_by_id = None, coordinator.id
        db.add(row)
    item = Item(case_id=case.id, category=CATEGORY, source_organisation_id=referral.requester_organisation_id,
                author_id=requester.id, recorded_on=to_local(now).date(), created_at=now,
                content=(f"Nieuwe aanmelding {referral.reference} (ingediend {format_local(referral.submitted_at)}).\n"
                         f"Reden: {referral.reason}\nDoel: {referral.goal}")[:8000])
    db.add(item)
    db.flush()
    for person_id in sorted(set(concerned)):
        db.add(ItemPerson(item_id=item.id, person_id=person_id))
    _clear_persons(db, referral)
    referral.case_id = case.id
    db.add(referral)
    db.flush()
    audit.record(db, "update", user=coordinator, object_type="case", object_id=case.id, case_id=case.id,
                 person_ids=sorted(set(concerned)),
                 summary=f"aanmelding {referral.reference} toegevoegd aan bestaande casus {case.reference} als "
                         f"gegeven nr. {item.id}; {len(added)} nieuwe persoon/personen")
    audit.record(db, "update", user=coordinator, object_type="referral", object_id=referral.id, case_id=case.id,
                 summary=f"aanmelding {referral.reference} toegevoegd aan casus {case.reference}")
    _notify_requester(db, referral, accepted=True)
    return case
