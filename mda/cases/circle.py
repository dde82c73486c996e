"""The circle of a case: which organisations and which professionals take part (need-to-know).

Only the case's coordinator changes it. A professional can join only when their
organisation is in the circle; removing an organisation removes its professionals.
Removal keeps the row (``removed_at``), so the history of who could see the case stays.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam
from sqlmodel import Session, or_, select

from mda.auth.models import User
from mda.auth.services import ServiceError
from mda.cases.models import CaseMember, CaseOrganisation
from mda.core import audit, sharing, signals
from mda.core.permissions import has_permission
from mda.core.timeutil import utcnow
from mda.organisations.models import Organisation


@dataclass(frozen=True, slots=True)
class Named:
    """An organisation or a professional of the circle as pages show them: number and name."""

    id: int
    name: str


@dataclass
class CircleOrganisation:
    organisation: Named
    members: list[Named]
    team_leads: list[Named]


def _coordinator_only(user: User, ctx: sharing.CaseContext) -> None:
    if not sharing.can_manage(user, ctx, "coordinate"):
        raise PermissionError("alleen de procesregisseur van de casus")


#: each circle organisation (by name) with only the people shown: named professionals and team leads (by
#: name), not every user of every circle organisation; built once, the ids are parameters; plain columns,
#: not model objects: the pages show numbers and names only
_CIRCLE = (select(Organisation.id, Organisation.name, User.id.label("user_id"), User.name.label("user_name"),
                  User.roles_text)
           .outerjoin(User, and_(User.organisation_id == Organisation.id, User.active,
                                 or_(User.id.in_(bindparam("member_ids", expanding=True)),
                                     User.roles_text.contains("team_lead"))))
           .where(Organisation.id.in_(bindparam("org_ids", expanding=True)))
           .order_by(Organisation.name, Organisation.id, User.name))


def circle(db: Session, ctx: sharing.CaseContext) -> list[CircleOrganisation]:
    """The organisations of the circle with their named professionals and team leads (no client data); kept with
    the case's context (its organisations, members and accounts are all the epochs cover)."""
    if not ctx.circle_org_ids:
        return []
    return sharing.kept(db, ctx, "circle", lambda: _circle(db, ctx))


def _circle(db: Session, ctx: sharing.CaseContext) -> list[CircleOrganisation]:
    entries: dict[int, CircleOrganisation] = {}
    for org_id, org_name, user_id, user_name, roles_text in db.exec(
            _CIRCLE, params={"org_ids": list(ctx.circle_org_ids), "member_ids": list(ctx.member_user_ids)}):
        entry = entries.setdefault(org_id, CircleOrganisation(Named(org_id, org_name), [], []))
        if user_id is not None:
            if user_id in ctx.member_user_ids:
                entry.members.append(Named(user_id, user_name))
            if "team_lead" in roles_text.split():
                entry.team_leads.append(Named(user_id, user_name))
    return list(entries.values())


def candidate_organisations(db: Session, ctx: sharing.CaseContext) -> list[Organisation]:
    """Active organisations not yet in the circle."""
    return [o for o in db.exec(select(Organisation).where(Organisation.active).order_by(Organisation.name))
            if o.id not in ctx.circle_org_ids]


def candidate_members(db: Session, ctx: sharing.CaseContext) -> list[User]:
    """Active professionals of circle organisations who are not yet named."""
    if not ctx.circle_org_ids:
        return []
    rows = db.exec(select(User).where(User.organisation_id.in_(ctx.circle_org_ids), User.active)
                   .order_by(User.name))
    return [u for u in rows if u.id not in ctx.member_user_ids and u.id != ctx.case.coordinator_id
            and has_permission(u, "case.work")]


def _admit(db: Session, user: User, ctx: sharing.CaseContext, model: type[CaseOrganisation] | type[CaseMember],
           label: str, **key: int) -> None:
    """Put *key* (an organisation or a professional) in the circle: its row of *model* is brought back, or made,
    as added now by *user*; audited as *label* added."""
    row = db.exec(select(model).filter_by(case_id=ctx.case.id, **key)).first()
    row = row or model(case_id=ctx.case.id, added_at=utcnow(), **key)
    row.removed_at, row.added_at, row.added_by_id = None, utcnow(), user.id
    db.add(row)
    db.flush()
    audit.record(db, "update", user=user, object_type="case_circle", object_id=ctx.case.id, case_id=ctx.case.id,
                 summary=f"{label} toegevoegd aan de kring van {ctx.case.reference}")


def add_organisation(db: Session, user: User, ctx: sharing.CaseContext, organisation_id: int | None) -> Organisation:
    """Add an organisation to the circle (or bring a removed one back)."""
    _coordinator_only(user, ctx)
    org = db.get(Organisation, organisation_id) if organisation_id else None
    if org is None or not org.active:
        raise ServiceError("Kies een bestaande, actieve organisatie.")
    if org.id in ctx.circle_org_ids:
        raise ServiceError(f"{org.name} staat al in de kring.")
    _admit(db, user, ctx, CaseOrganisation, f"organisatie {org.name}", organisation_id=org.id)
    ctx.circle_org_ids.add(org.id)
    return org


def remove_organisation(db: Session, user: User, ctx: sharing.CaseContext, organisation_id: int) -> None:
    """Remove an organisation and its named professionals from the circle."""
    _coordinator_only(user, ctx)
    coordinator = db.get(User, ctx.case.coordinator_id)
    if organisation_id == coordinator.organisation_id:
        raise ServiceError("De organisatie van de procesregisseur blijft in de kring.")
    row = db.exec(select(CaseOrganisation).where(CaseOrganisation.case_id == ctx.case.id,
                                                 CaseOrganisation.organisation_id == organisation_id,
                                                 CaseOrganisation.removed_at.is_(None))).first()
    if row is None:
        raise ServiceError("Deze organisatie staat niet in de kring.")
    now = utcnow()
    row.removed_at = now
    db.add(row)
    removed = []
    for member in db.exec(select(CaseMember).join(User, User.id == CaseMember.user_id).where(
            CaseMember.case_id == ctx.case.id, CaseMember.removed_at.is_(None),
            User.organisation_id == organisation_id)):
        member.removed_at = now
        db.add(member)
        removed.append(member.user_id)
        ctx.member_user_ids.discard(member.user_id)
    db.flush()
    ctx.circle_org_ids.discard(organisation_id)
    audit.record(db, "update", user=user, object_type="case_circle", object_id=ctx.case.id, case_id=ctx.case.id,
                 summary=f"organisatie {ctx.org_names.get(organisation_id, organisation_id)} uit de kring van "
                         f"{ctx.case.reference} gehaald ({len(removed)} professional(s) mee)")
    _left(db, user, ctx)


def add_member(db: Session, user: User, ctx: sharing.CaseContext, member_id: int | None) -> User:
    """Name a professional in the circle; their organisation must be in the circle."""
    _coordinator_only(user, ctx)
    member = db.get(User, member_id) if member_id else None
    if member is None or not member.active:
        raise ServiceError("Kies een bestaand, actief account.")
    if member.organisation_id not in ctx.circle_org_ids:
        raise ServiceError(f"{member.name} werkt bij een organisatie die niet in de kring staat. "
                           "Voeg eerst de organisatie toe.")
    if not has_permission(member, "case.work"):
        raise ServiceError(f"{member.name} heeft geen rol waarmee aan casussen wordt gewerkt.")
    if member.id in ctx.member_user_ids:
        raise ServiceError(f"{member.name} staat al in de kring.")
    _admit(db, user, ctx, CaseMember, f"gebruiker {member.id}", user_id=member.id)
    ctx.member_user_ids.add(member.id)
    return member


def remove_member(db: Session, user: User, ctx: sharing.CaseContext, member_id: int) -> None:
    """Take a professional out of the circle."""
    _coordinator_only(user, ctx)
    row = db.exec(select(CaseMember).where(CaseMember.case_id == ctx.case.id, CaseMember.user_id == member_id,
                                           CaseMember.removed_at.is_(None))).first()
    if row is None:
        raise ServiceError("Deze professional staat niet in de kring.")
    row.removed_at = utcnow()
    db.add(row)
    db.flush()
    ctx.member_user_ids.discard(member_id)
    audit.record(db, "update", user=user, object_type="case_circle", object_id=ctx.case.id, case_id=ctx.case.id,
                 summary=f"gebruiker {member_id} uit de kring van {ctx.case.reference} gehaald")
    _left(db, user, ctx)


def leave_circles_of_moved_account(db: Session, admin: User, moved: User) -> int:
    """:data:`signals.account_moved`: *moved* now works for another organisation; it leaves every circle it was
    named in whose cases its new organisation is not in (as :func:`remove_member` would, by *admin*), each with
    :func:`_left`. Returns how many circles."""
    from mda.cases.models import Case

    rows = list(db.exec(select(CaseMember).where(CaseMember.user_id == moved.id, CaseMember.removed_at.is_(None))))
    left = 0
    for row in rows:
        ctx = sharing.load_context(db, db.get(Case, row.case_id))
        if moved.organisation_id in ctx.circle_org_ids:
            continue  # the new organisation is in this circle too: the name stands
        row.removed_at = utcnow()
        db.add(row)
        db.flush()
        ctx.member_user_ids.discard(moved.id)
        audit.record(db, "update", user=admin, object_type="case_circle", object_id=ctx.case.id, case_id=ctx.case.id,
                     summary=f"gebruiker {moved.id} uit de kring van {ctx.case.reference} gehaald: andere organisatie")
        _left(db, admin, ctx)
        left += 1
    return left


def _left(db: Session, user: User, ctx: sharing.CaseContext) -> None:
    """Tell the features that keep work for people in the circle (:data:`signals.circle_left`)."""
    for provider in signals.circle_left:
        provider(db, user, ctx)
