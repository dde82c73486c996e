"""Intake (aanmelding) and triage: requesting MDA++, the "already known?" check, accepting or declining.

A referral is not a case yet, so the sharing rules of :mod:`mda.core.sharing` do not apply
to it; instead only its requester and the coordinators of its region may see it
(:func:`load_referral_or_404`). Every change and every look-up is audited here; services
flush, the request commits once; e-mail goes out after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import abort
from sqlmodel import Session, or_, select

from mda.auth.models import User
from mda.auth.services import ServiceError
from mda.cases import validation
from mda.cases.models import (
    PERSON_ROLES,
    URGENCIES,
    Case,
    CaseMember,
    CaseOrganisation,
    Person,
    Referral,
    ReferralOrganisation,
    ReferralPerson,
)
from mda.core import audit, mail
from mda.core.permissions import has_permission
from mda.core.references import next_reference
from mda.core.timeutil import as_utc, utcnow
from mda.organisations.models import Organisation

#: a case closed less than this long ago counts as "recent": a new referral makes it a repeat case
REPEAT_WINDOW = timedelta(days=365)


@dataclass
class PersonInput:
    """A person as entered in a form or API call (validated by :func:`person_problems`)."""

    role: str
    name: str
    date_of_birth: date | None = None
    bsn: str | None = None
    address: str = ""


def person_problems(p: PersonInput) -> list[str]:
    """Dutch messages for everything wrong with *p* (empty when it can be stored)."""
    problems = []
    if p.role not in PERSON_ROLES:
        problems.append("Kies een geldige rol voor de persoon.")
    if not p.name.strip():
        problems.append("Vul de naam van de persoon in.")
    for problem in (validation.birth_date_problem(p.date_of_birth), validation.bsn_problem(p.bsn)):
        if problem:
            problems.append(problem)
    return problems


# ----------------------------------------------------------------------------- access
def can_see_referral(user: User, referral: Referral) -> bool:
    """The requester, and the coordinators of the referral's region."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.id == referral.requested_by_id:
        return True
    return has_permission(user, "case.triage") and user.organisation.region_id == referral.region_id


def load_referral_or_404(db: Session, user: User, referral_id: int, *, triage: bool = False) -> Referral:
    """The referral, or 404 (audited as denied) for anyone else; *triage* requires a coordinator."""
    referral = db.get(Referral, referral_id)
    allowed = referral is not None and can_see_referral(user, referral)
    if allowed and triage:
        allowed = has_permission(user, "case.triage") and user.organisation.region_id == referral.region_id
    if not allowed:
        audit.record(db, "denied", user=user, object_type="referral", object_id=referral_id,
                     summary="aanmelding geopend zonder recht")
        abort(404)
    return referral


def referral_persons(db: Session, user: User, referral: Referral) -> list[ReferralPerson]:
    """The persons of a referral (for its requester or a coordinator), audited as a view."""
    persons = list(db.exec(select(ReferralPerson).where(ReferralPerson.referral_id == referral.id)
                           .order_by(ReferralPerson.id)))
    if any(p.cleared_at is None for p in persons):
        audit.record(db, "view", user=user, object_type="referral", object_id=referral.id,
                     basis="aanmelding: melder of procesregisseur van de regio",
                     summary=f"aanmelding {referral.reference} bekeken ({len(persons)} personen)")
    return persons


def pending_referrals(db: Session, coordinator: User) -> list[Referral]:
    """Open referrals of the coordinator's region, most urgent and oldest first."""
    rows = db.exec(select(Referral).where(Referral.status == "open",
                                          Referral.region_id == coordinator.organisation.region_id)
                   .order_by(Referral.submitted_at)).all()
    order = {code: n for n, code in enumerate(reversed(list(URGENCIES)))}
    return sorted(rows, key=lambda r: order.get(r.urgency, 99))


def my_referrals(db: Session, user: User) -> list[Referral]:
    """Referrals the user submitted, newest first."""
    return list(db.exec(select(Referral).where(Referral.requested_by_id == user.id)
                        .order_by(Referral.submitted_at.desc())))


def proposed_organisations(db: Session, referral: Referral) -> list[Organisation]:
    """The partner organisations the requester proposed."""
    ids = db.exec(select(ReferralOrganisation.organisation_id)
                  .where(ReferralOrganisation.referral_id == referral.id)).all()
    if not ids:
        return []
    return list(db.exec(select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)))


# ----------------------------------------------------------------------------- references
def _next_reference(db: Session, model, prefix: str) -> str:
    """A counter row per year, not max+1: two acceptances at once cannot collide."""
    return next_reference(db, model, prefix, utcnow().year)


def next_case_reference(db: Session) -> str:
    """The next pseudonymous case reference of this year, e.g. MDA-2026-0042."""
    return _next_reference(db, Case, "MDA")


# ----------------------------------------------------------------------------- intake
def submit_referral(db: Session, user: User, *, reason: str, goal: str, urgency: str,
                    persons: list[PersonInput], partner_org_ids: list[int]) -> Referral:
    """A professional requests MDA++ for a household; validated completely before anything is stored."""
    if not has_permission(user, "case.request"):
        raise PermissionError("geen recht om aan te melden")
    problems = []
    if not reason.strip():
        problems.append("Beschrijf de reden van de aanmelding.")
    if not goal.strip():
        problems.append("Beschrijf het doel van het overleg.")
    if urgency not in URGENCIES:
        problems.append("Kies een geldige urgentie.")
    if not persons:
        problems.append("Vul minstens één betrokken persoon in.")
    for n, person in enumerate(persons, start=1):
        problems.extend(f"Persoon {n}: {p}" for p in person_problems(person))
    orgs = list(db.exec(select(Organisation).where(Organisation.id.in_(partner_org_ids)))) if partner_org_ids else []
    if len(orgs) != len(set(partner_org_ids)) or any(not o.active for o in orgs):
        problems.append("Kies alleen bestaande, actieve partnerorganisaties.")
    if problems:
        raise ServiceError(" ".join(problems))
    referral = Referral(reference=_next_reference(db, Referral, "AM"), region_id=user.organisation.region_id,
                        requested_by_id=user.id, requester_organisation_id=user.organisation_id,
                        reason=reason.strip(), goal=goal.strip(), urgency=urgency, submitted_at=utcnow())
    db.add(referral)
    db.flush()
    for person in persons:
        db.add(ReferralPerson(referral_id=referral.id, role=person.role, name=person.name.strip(),
                              date_of_birth=person.date_of_birth, bsn=validation.normalise_bsn(person.bsn),
                              address=person.address.strip()))
    for org in orgs:
        db.add(ReferralOrganisation(referral_id=referral.id, organisation_id=org.id))
    db.flush()
    audit.record(db, "create", user=user, object_type="referral", object_id=referral.id,
                 summary=f"aanmelding {referral.reference} ingediend ({len(persons)} personen, "
                         f"urgentie {urgency}, {len(orgs)} partners voorgesteld)")
    return referral


# ----------------------------------------------------------------------------- already known?
@dataclass(frozen=True)
class KnownMatch:
    """THAT a person of the referral is known in another case. Nothing else: not which case, not who
    coordinates it (a user outside its circle may not learn either); the referral is routed to that
    coordinator instead (:func:`route_to_coordinators`)."""

    person_number: int  # position of the person in the referral (1-based)
    recent_closed: bool  # the case was closed less than 12 months ago (else it is active)
    case_id: int  # internal: for the repeat flag, the routing and a coordinator's own case; never shown
    coordinator_id: int  # internal: whom the referral is routed to; never shown
    person_id: int  # internal: the matched person, named in the routing's audit row


def check_known(db: Session, user: User, referral: Referral) -> list[KnownMatch]:
    """Search active and recently closed cases for the referral's persons (name + birth date, or BSN).

    Reveals only that a match exists; the search is audited with the persons it matched, so it
    shows in their access log.
    """
    persons = [p for p in db.exec(select(ReferralPerson).where(ReferralPerson.referral_id == referral.id)
                                  .order_by(ReferralPerson.id)) if p.cleared_at is None]
    bsns = [p.bsn for p in persons if p.bsn]
    births = [p.date_of_birth for p in persons if p.date_of_birth]
    matches: list[KnownMatch] = []
    matched_ids: set[int] = set()
    cutoff = utcnow() - REPEAT_WINDOW
    if bsns or births:
        keys = [Person.bsn.in_(bsns)] if bsns else []
        keys += [Person.date_of_birth.in_(births)] if births else []
        rows = db.exec(select(Person, Case).join(Case, Case.id == Person.case_id).where(
            Person.destroyed_at.is_(None), Case.purged_at.is_(None),
            or_(Case.closed_at.is_(None), Case.closed_at >= cutoff), or_(*keys))).all()
        seen: set[tuple[int, int]] = set()
        for number, wanted in enumerate(persons, start=1):
            for person, case in rows:
                same = (wanted.bsn and person.bsn == wanted.bsn) or (
                    wanted.date_of_birth and person.date_of_birth == wanted.date_of_birth
                    and validation.normalise_name(person.name) == validation.normalise_name(wanted.name))
                if not same or (number, case.id) in seen:
                    continue
                seen.add((number, case.id))
                matched_ids.add(person.id)
                matches.append(KnownMatch(number, case.closed_at is not None, case.id, case.coordinator_id,
                                          person.id))
    referral.known_checked_at = utcnow()
    db.add(referral)
    audit.record(db, "search", user=user, object_type="referral", object_id=referral.id,
                 person_ids=sorted(matched_ids), basis="triage: controle 'al bekend?'",
                 summary=f"controle 'al bekend?' voor aanmelding {referral.reference}: "
                         f"{len(matches)} overeenkomst(en)")
    return matches


def route_to_coordinators(db: Session, user: User, referral: Referral) -> int:
    """Tell the coordinator of each case 'al bekend?' matched (other than *user*) the referral's reference and
    *user*'s contact details: they may open the case and decide what to share, *user* learns no name. The
    e-mail names the case only to its own coordinator and no person; audited. Returns how many were told."""
    by_coordinator: dict[int, list[KnownMatch]] = {}
    for match in check_known(db, user, referral):
        if match.coordinator_id != user.id:
            by_coordinator.setdefault(match.coordinator_id, []).append(match)
    if not by_coordinator:
        return 0
    cases = {c.id: c for c in db.exec(select(Case).where(Case.id.in_(
        {m.case_id for ms in by_coordinator.values() for m in ms})))}
    told = 0
    for coordinator_id, found in sorted(by_coordinator.items()):
        coordinator = db.get(User, coordinator_id)
        if coordinator is None or not coordinator.active:
            continue
        lines = "\n".join(sorted({f"- persoon {m.person_number} van de aanmelding: bekend in casus "
                                   f"{cases[m.case_id].reference}" for m in found}))
        mail.send([coordinator.email], f"Aanmelding {referral.reference}: een persoon is bekend in uw casus",
                  f"Beste {coordinator.name},\n\nBij de triage van aanmelding {referral.reference} bleek een persoon "
                  f"bekend in een casus die u coördineert:\n{lines}\n\n{user.name} ({user.organisation.name}, "
                  f"{user.email}) triageert deze aanmelding en weet niet om welke casus het gaat of wie die "
                  f"coördineert. Neem contact op en bepaal wat er gedeeld mag worden.\n\nMet vriendelijke groet,"
                  f"\nMDA++")
        audit.record(db, "create", user=user, object_type="referral", object_id=referral.id,
                     person_ids=sorted({m.person_id for m in found}),
                     basis="triage: doorverwijzing bij 'al bekend?'",
                     summary=f"aanmelding {referral.reference} doorgestuurd naar de procesregisseur van "
                             f"{len({m.case_id for m in found})} casus(sen)")
        told += 1
    return told


# ----------------------------------------------------------------------------- triage
def _notify_requester(db: Session, referral: Referral, accepted: bool) -> None:
    requester = db.get(User, referral.requested_by_id)
    link = mail.public_url("cases.my_referrals")
    outcome = "is geaccepteerd; er is een MDA++-casus geopend" if accepted else "is niet geaccepteerd"
    mail.send([requester.email], f"Uw aanmelding {referral.reference} {'geaccepteerd' if accepted else 'afgewezen'}",
              f"Beste {requester.name},\n\nUw aanmelding {referral.reference} voor MDA++ {outcome}.\n"
              f"De toelichting van de procesregisseur leest u in MDA++ (om privacyredenen niet in deze e-mail):\n"
              f"{link}\n\nMet vriendelijke groet,\nMDA++")


def _clear_persons(db: Session, referral: Referral) -> None:
    """Blank the personal data of a decided referral (it lives on in the case, or is not needed).

    The reason and goal are free text about the household: once decided they live on only in
    the case, where the sharing engine decides who reads them (category and source organisation).
    """
    now = utcnow()
    referral.reason, referral.goal = "", ""
    db.add(referral)
    for person in db.exec(select(ReferralPerson).where(ReferralPerson.referral_id == referral.id)):
        person.name, person.date_of_birth, person.bsn, person.address = "", None, None, ""
        person.cleared_at = now
        db.add(person)


def _decide(referral: Referral, coordinator: User, status: str) -> None:
    if referral.status != "open":
        raise ServiceError(f"Deze aanmelding is al behandeld ({referral.status_name.lower()}).")
    referral.status, referral.decided_at, referral.decided_by_id = status, utcnow(), coordinator.id


def accept_referral(db: Session, coordinator: User, referral: Referral) -> Case:
    """Open a case: coordinator, circle (requester and proposed partners), persons; flag a repeat case."""
    if referral.status != "open":
        raise ServiceError(f"Deze aanmelding is al behandeld ({referral.status_name.lower()}).")
    matches = check_known(db, coordinator, referral)
    recent = [m for m in matches if m.recent_closed]
    previous = None
    if recent:
        closed = {c.id: c for c in db.exec(select(Case).where(Case.id.in_({m.case_id for m in recent})))}
        previous = max(closed.values(), key=lambda c: as_utc(c.closed_at))
    _decide(referral, coordinator, "geaccepteerd")
    now = utcnow()
    case = Case(reference=next_case_reference(db), region_id=referral.region_id, coordinator_id=coordinator.id,
                phase="triage", reason=referral.reason, goal=referral.goal, urgency=referral.urgency,
                source_organisation_id=referral.requester_organisation_id,
                is_repeat=previous is not None, previous_case_id=previous.id if previous else None, opened_at=now)
    db.add(case)
    db.flush()
    org_ids = {coordinator.organisation_id, referral.requester_organisation_id}
    org_ids |= {o.id for o in proposed_organisations(db, referral) if o.active}
    for org_id in sorted(org_ids):
        db.add(CaseOrganisation(case_id=case.id, organisation_id=org_id, added_at=now, added_by_id=coordinator.id))
    requester = db.get(User, referral.requested_by_id)
    if requester.id != coordinator.id and requester.active and has_permission(requester, "case.work"):
        db.add(CaseMember(case_id=case.id, user_id=requester.id, added_at=now, added_by_id=coordinator.id))
    person_ids = []
    for rp in db.exec(select(ReferralPerson).where(ReferralPerson.referral_id == referral.id)
                      .order_by(ReferralPerson.id)):
        person = Person(case_id=case.id, role=rp.role, name=rp.name, date_of_birth=rp.date_of_birth, bsn=rp.bsn,
                        address=rp.address, source_organisation_id=referral.requester_organisation_id)
        db.add(person)
        db.flush()
        person_ids.append(person.id)
    _clear_persons(db, referral)
    referral.case_id = case.id
    db.add(referral)
    db.flush()
    audit.record(db, "create", user=coordinator, object_type="case", object_id=case.id, case_id=case.id,
                 person_ids=person_ids,
                 summary=f"casus {case.reference} geopend uit aanmelding {referral.reference}"
                         + (" (herhaalde casus binnen 12 maanden na afsluiting)" if case.is_repeat else ""))
    audit.record(db, "update", user=coordinator, object_type="referral", object_id=referral.id, case_id=case.id,
                 summary=f"aanmelding {referral.reference} geaccepteerd")
    _notify_requester(db, referral, accepted=True)
    return case


def decline_referral(db: Session, coordinator: User, referral: Referral, reason: str) -> None:
    """Decline with a reason; the requester is told (by e-mail, after the commit) and the persons are blanked."""
    reason = reason.strip()
    if len(reason) < 10:
        raise ServiceError("Geef de reden van de afwijzing (minstens 10 tekens); de melder krijgt die te zien.")
    _decide(referral, coordinator, "afgewezen")
    referral.decline_reason = reason[:2000]
    _clear_persons(db, referral)
    db.add(referral)
    db.flush()
    audit.record(db, "update", user=coordinator, object_type="referral", object_id=referral.id,
                 summary=f"aanmelding {referral.reference} afgewezen")
    _notify_requester(db, referral, accepted=False)
