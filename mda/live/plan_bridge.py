"""The boundary between the live session and the case's safety plan (:mod:`mda.safety_plan`).

Actions agreed live become actions of the plan (``add_action``); a closed score round goes
into the case's score history (``record_scores``). The plan owns both; this module only
translates its refusals into live refusals and shows the meeting's actions to one user,
each decided by the sharing engine (category and source organisation of the action) and
audited like any other view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from mda.auth.models import User
from mda.core import audit, sharing
from mda.safety_plan import services as plan_services
from mda.safety_plan import views
from mda.safety_plan.models import PLAN_CATEGORY, PlanAction

__all__ = ["PLAN_CATEGORY", "ActionRow", "actions_for", "actions_for_cases", "add_action", "record_scores"]


def add_action(db: Session, user: User, ctx: sharing.CaseContext, **fields) -> PlanAction:
    """Add the action to the case's safety plan (the plan validates owner, deadline and category; its refusal is
    a ServiceError, answered like any other)."""
    return plan_services.add_action(db, user, ctx, **fields)


def record_scores(db: Session, user: User, ctx: sharing.CaseContext, *, meeting_id: int,
                  scores: dict[int, int], round_key: str) -> None:
    """Keep a closed round's scores in the case's history (nothing to keep when nobody scored)."""
    if not scores:
        return
    plan_services.record_scores(db, user, ctx, meeting_id=meeting_id, scores=scores, round_key=round_key)


@dataclass
class ActionRow:
    """An action as the live view lists it, from the plan's view of it (:func:`mda.safety_plan.views.action_view`):
    description and owner only when the engine shows the action (*owner* is empty otherwise)."""

    id: int
    owner: str
    deadline: date
    view: dict = field(default_factory=dict)


def actions_for(db: Session, user: User, ctx: sharing.CaseContext, meeting_id: int) -> list[ActionRow]:
    """The plan actions agreed for the case in this meeting, each decided for *user* (views audited)."""
    return actions_for_cases(db, user, {ctx.case.id: ctx}, meeting_id)[ctx.case.id]


def actions_for_cases(db: Session, user: User, contexts: dict[int, sharing.CaseContext],
                      meeting_id: int) -> dict[int, list[ActionRow]]:
    """:func:`actions_for` for several cases (contexts by case id) in two queries, whatever their number.

    Each action is decided by the engine for *user*; the views are audited per case and basis.
    """
    result: dict[int, list[ActionRow]] = {case_id: [] for case_id in contexts}
    if not contexts:
        return result
    actions = list(db.exec(select(PlanAction).where(PlanAction.case_id.in_(list(contexts)),
                                                    PlanAction.meeting_id == meeting_id,
                                                    PlanAction.removed_at.is_(None)).order_by(PlanAction.id)))
    owner_names = views.user_names(db, {a.owner_user_id for a in actions})
    seen: dict[int, list] = {case_id: [] for case_id in contexts}
    for action in actions:
        # the plan's own view of the action: description, owner and owner's organisation only with a basis
        view = views.action_view(user, ctx := contexts[action.case_id], action, owner_names)
        shown = {"zichtbaar": view.decision.visible, "categorie": view.category_name}
        if view.decision.visible:
            shown.update(tekst=view.description, grondslag=view.decision.basis)
            seen[ctx.case.id].append((action.id, view.decision))
        else:
            shown["niet_gedeeld"] = view.decision.withheld_reason
        result[action.case_id].append(ActionRow(action.id, view.owner_label or "", action.deadline, shown))
    for case_id, shown in seen.items():
        ctx = contexts[case_id]
        by_basis: dict[tuple[str, str], list[int]] = {}
        for action_id, decision in shown:
            by_basis.setdefault((decision.kind, decision.basis), []).append(action_id)
        for (kind, basis), ids in by_basis.items():
            audit.record(db, "view", user=user, object_type="case", object_id=ctx.case.id, case_id=ctx.case.id,
                         basis=f"{kind}: {basis}", summary=f"casus {ctx.case.reference} via live overleg: "
                         + ", ".join(f"actie:{i}" for i in ids)[:400])
    return result
