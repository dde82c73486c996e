"""Re-planning an action: a new deadline, always with a reason, kept in the action's history.

An overdue action is chased every week until it is done, marked "niet gelukt", or re-planned;
re-planning is the honest way to say "later", so it needs a reason, which is stored as a line of
the action's history (an :class:`ActionStatusChange` that keeps the status) and audited (dates
and ids only). The new deadline starts the reminders afresh (see :mod:`mda.safety_plan.reminders`).
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from mda.auth.models import User
from mda.auth.services import ServiceError
from mda.core import audit, sharing
from mda.core.timeutil import utcnow
from mda.safety_plan.models import OPEN_STATUSES, ActionStatusChange, PlanAction
from mda.safety_plan.organisation import is_team_lead_of

MAX_REASON = 2000


def may_replan(user: User, ctx: sharing.CaseContext, action: PlanAction) -> bool:
    """The owner, a team lead of the owning organisation, the organisation that brought the action in, or the
    coordinator."""
    return (user.id in (action.owner_user_id, ctx.case.coordinator_id)
            or user.organisation_id == action.source_organisation_id
            or is_team_lead_of(user, action.owner_organisation_id))


def replan(db: Session, user: User, ctx: sharing.CaseContext, action: PlanAction, *, deadline: date | None,
           reason: str, today: date) -> ActionStatusChange:
    """Give an open action a new deadline (today or later) with a reason; refused in Dutch, nothing stored, else."""
    from mda.safety_plan.services import _refuse_locked, _require_open

    _require_open(ctx)
    _refuse_locked(db, action)
    if not may_replan(user, ctx, action):
        raise ServiceError("Alleen de eigenaar, de teamleider van de organisatie die eigenaar is, de organisatie "
                           "die de actie inbracht of de procesregisseur kan een nieuwe termijn afspreken.")
    reason = (reason or "").strip()
    problems = []
    if action.status not in OPEN_STATUSES:
        problems.append("Deze actie is afgesloten; een nieuwe termijn is niet nodig.")
    if deadline is None:
        problems.append("Vul de nieuwe termijn (datum) in.")
    elif deadline < today:
        problems.append("De nieuwe termijn ligt in het verleden; kies vandaag of later.")
    elif deadline == action.deadline:
        problems.append("Dit is de huidige termijn; kies een andere datum.")
    if not reason:
        problems.append("Schrijf waarom de actie een nieuwe termijn krijgt.")
    elif len(reason) > MAX_REASON:
        problems.append(f"De reden mag hoogstens {MAX_REASON} tekens zijn.")
    if problems:
        raise ServiceError(" ".join(problems))
    old = action.deadline
    change = ActionStatusChange(action_id=action.id, old_status=action.status, new_status=action.status,
                                comment=f"Nieuwe termijn {deadline:%d-%m-%Y} (was {old:%d-%m-%Y}): {reason}",
                                changed_by_id=user.id, changed_at=utcnow())
    action.deadline, action.updated_at = deadline, utcnow()
    db.add(change)
    db.flush()
    audit.record(db, "update", user=user, object_type="plan_action", object_id=action.id, case_id=ctx.case.id,
                 summary=f"plan {ctx.case.reference}: actie {action.id} opnieuw gepland, termijn "
                         f"{old.isoformat()} -> {deadline.isoformat()}")
    return change
