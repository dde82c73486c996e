"""Who takes part in an escalation: the case's ladder and level, the parties, the deciders of a level, whom a
meeting about it invites."""

from __future__ import annotations

from sqlmodel import Session, select

from mda.auth.models import User
from mda.core import sharing
from mda.escalations import ladder as ladders
from mda.escalations.models import (
    Escalation,
)


def ladder_of(ctx: sharing.CaseContext) -> ladders.Ladder:
    return ladders.ladder(ctx.region_code)


def current_level(ctx: sharing.CaseContext, esc: Escalation) -> ladders.Level:
    return ladder_of(ctx).level(esc.level)


def is_party(user: User, ctx: sharing.CaseContext, esc: Escalation) -> bool:
    """Does *user* work at one of the two disagreeing organisations (and may open the case)?"""
    return (user.organisation_id in (esc.raiser_organisation_id, esc.other_organisation_id)
            and sharing.can_open_case(user, ctx.case, ctx))


def is_decider(user: User, ctx: sharing.CaseContext, esc: Escalation, level: int | None = None) -> bool:
    """Does *user* decide at the escalation's current level (or *level*), by the region's ladder?"""
    lv = ladder_of(ctx).level(level or esc.level)
    if not sharing.can_open_case(user, ctx.case, ctx):
        return False
    orgs = (esc.raiser_organisation_id, esc.other_organisation_id) if lv.parties_only else ctx.circle_org_ids
    if user.organisation_id not in orgs:
        return False
    return bool(lv.roles_for(ctx.org_types.get(user.organisation_id, "")) & user.roles)


def deciders(db: Session, ctx: sharing.CaseContext, esc: Escalation, level: int | None = None) -> list[User]:
    """The active users who decide at the current level (or *level*)."""
    lv = ladder_of(ctx).level(level or esc.level)
    orgs = {esc.raiser_organisation_id, esc.other_organisation_id} if lv.parties_only else set(ctx.circle_org_ids)
    users = db.exec(select(User).where(User.organisation_id.in_(orgs), User.active.is_(True)).order_by(User.id))
    return [u for u in users if is_decider(u, ctx, esc, lv.number)]


def meeting_invitees(db: Session, user: User, escalation_id) -> tuple[Escalation, list[User]] | None:
    """For an escalatieoverleg planned from an escalation: the escalation and whom to invite (the deciders of
    its current level and the two parties' professionals), or None when *user* may not see it or it is closed."""
    from mda.core.input_guard import MAX_DB_INT

    if not isinstance(escalation_id, int) or not 0 < escalation_id <= MAX_DB_INT:
        return None
    esc = db.get(Escalation, escalation_id)
    if esc is None or not esc.is_open:
        return None
    case = sharing_case(db, esc)
    ctx = sharing.load_context(db, case)
    if not sharing.can_open_case(user, case, ctx):
        return None
    people = {u.id: u for u in [*deciders(db, ctx, esc), *party_users(db, ctx, esc)]}
    return esc, sorted(people.values(), key=lambda u: (u.name, u.id))


def party_users(db: Session, ctx: sharing.CaseContext, esc: Escalation) -> list[User]:
    """The professionals of the two parties named in the circle, and the raiser while the case is open to them
    (rule 1: a raiser taken off the circle since gets no notice naming the case)."""
    ids = set(ctx.member_user_ids) | {esc.raised_by_id}
    users = db.exec(select(User).where(User.id.in_(ids), User.active.is_(True),
                                       User.organisation_id.in_({esc.raiser_organisation_id,
                                                                 esc.other_organisation_id})))
    return [u for u in users if sharing.can_open_case(u, ctx.case, ctx)]


def sharing_case(db: Session, esc: Escalation):
    """The case of *esc* (for its sharing context)."""
    from mda.cases.models import Case

    return db.get(Case, esc.case_id)
