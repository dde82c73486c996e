"""Actions owned by an organisation rather than a person: who sees them, and who hands them to a colleague.

An organisation-owned action is nobody's until someone of that organisation picks it up. Every
member of the owning organisation who may open the case (the engine's rule 1) sees it under
"Acties van mijn organisatie"; the organisation's team lead can assign it to a colleague who
may open the case. The assignment is audited in the same unit of work (ids only).
"""

from __future__ import annotations

from sqlalchemy import case as sql_case
from sqlmodel import Session, select

from mda.auth.models import User
from mda.auth.services import ServiceError
from mda.cases.models import Case
from mda.core import audit, sharing
from mda.core.timeutil import utcnow
from mda.safety_plan.models import OPEN_STATUSES, PlanAction

#: the role that leads an organisation's team and hands its actions out
TEAM_LEAD = "team_lead"


def organisation_actions_query(user: User, *, status: str | None = None, overdue: bool = False, today=None):
    """Actions owned by *user*'s organisation (no person yet) in cases *user* may open; open and overdue first."""
    from mda.safety_plan import views

    visible = sharing.visible_cases_query(user).with_only_columns(Case.id)
    stmt = select(PlanAction).where(PlanAction.owner_organisation_id == user.organisation_id,
                                    PlanAction.owner_user_id.is_(None), PlanAction.owner_is_family.is_(False),
                                    PlanAction.removed_at.is_(None), PlanAction.case_id.in_(visible))
    if status:
        stmt = stmt.where(PlanAction.status == status)
    if overdue:
        stmt = stmt.where(PlanAction.status.in_(OPEN_STATUSES), PlanAction.deadline < (today or views.today()))
    open_first = sql_case((PlanAction.status.in_(OPEN_STATUSES), 0), else_=1)
    return stmt.order_by(open_first, PlanAction.deadline, PlanAction.id)


def is_team_lead_of(user: User, organisation_id: int | None) -> bool:
    """Is *user* an active team lead of the organisation *organisation_id*?"""
    return bool(user is not None and user.active and organisation_id is not None
                and user.organisation_id == organisation_id and user.has_role(TEAM_LEAD))


def colleagues(db: Session, user: User) -> list[User]:
    """The active accounts of *user*'s organisation (one query), by name; who may open which case is decided later."""
    return list(db.exec(select(User).where(User.organisation_id == user.organisation_id, User.active.is_(True))
                        .order_by(User.name, User.id)))


def assignable_colleagues(people: list[User], ctx: sharing.CaseContext) -> list[User]:
    """Those of *people* who may open the case of *ctx* (rule 1 of the engine): only they can carry out the action."""
    return [p for p in people if sharing.can_open_case(p, ctx.case, ctx)]


def assign_to_colleague(db: Session, user: User, ctx: sharing.CaseContext, action: PlanAction,
                        colleague_id: int | None) -> PlanAction:
    """The team lead of the owning organisation hands an organisation-owned action to a colleague.

    Refused (with a Dutch message, nothing stored) when *user* is not a team lead of the owning
    organisation, the action already has a person or is closed, or the colleague is not an active
    member of that organisation who may open the case.
    """
    from mda.safety_plan.services import _refuse_locked, _require_open

    _require_open(ctx)
    _refuse_locked(db, action)
    if action.owner_user_id is not None or action.owner_organisation_id is None or action.owner_is_family:
        raise ServiceError("Deze actie heeft al een eigenaar; alleen een actie van een organisatie kan worden "
                           "toegewezen.")
    if not is_team_lead_of(user, action.owner_organisation_id):
        raise ServiceError("Alleen de teamleider van de organisatie die eigenaar is, kan deze actie toewijzen.")
    if action.status not in OPEN_STATUSES:
        raise ServiceError("Deze actie is afgesloten en kan niet meer worden toegewezen.")
    colleague = db.get(User, colleague_id) if colleague_id else None
    if (colleague is None or not colleague.active or colleague.organisation_id != action.owner_organisation_id
            or not sharing.can_open_case(colleague, ctx.case, ctx)):
        raise ServiceError("Kies een collega van uw organisatie die bij deze casus betrokken is.")
    action.owner_user_id, action.updated_at = colleague.id, utcnow()
    db.flush()
    audit.record(db, "update", user=user, object_type="plan_action", object_id=action.id, case_id=ctx.case.id,
                 summary=f"plan {ctx.case.reference}: actie {action.id} van organisatie "
                         f"{action.owner_organisation_id} toegewezen aan gebruiker {colleague.id}")
    return action
