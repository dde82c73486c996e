"""Plan API views on the /api/v1 blueprint: the same loaders, engine views and audit as the pages."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user
from spectree import Response
from sqlmodel import func, select

from mda import db
from mda.api import bp
from mda.api.routes import ERRORS, WRITE_ERRORS, dutch_validation_error
from mda.core.permissions import require_permission
from mda.core.timeutil import as_utc
from mda.extensions import api_spec
from mda.safety_plan import services, views
from mda.safety_plan.access import load_action, load_case
from mda.safety_plan.pages import MY_PER_PAGE, my_action_views, my_actions_query, page_number
from mda.safety_plan.schemas import ActionIn, ActionList, ActionOut, PlanOut, StatusIn

PER_PAGE = 50


def _basis(decision) -> str | None:
    return f"{decision.kind}: {decision.basis}" if decision.visible else None


def entry_json(e: views.EntryView) -> dict:
    """An entry view as JSON: content only when shared, else the reason."""
    return dict(id=e.id, section=e.section, section_name=e.section_name, category=e.category, special=e.special,
                shared=e.decision.visible, basis=_basis(e.decision),
                niet_gedeeld=None if e.decision.visible else e.placeholder, text=e.text, detail=e.detail,
                party=e.party, source_organisation=e.source_organisation)


def action_json(a: views.ActionView, failure_reason: str | None = None) -> dict:
    """An action view as JSON: description and owner only when shared."""
    return dict(id=a.id, case_id=a.case_id, case_reference=a.case_reference, category=a.category, special=a.special,
                shared=a.decision.visible, basis=_basis(a.decision),
                niet_gedeeld=None if a.decision.visible else a.placeholder, description=a.description,
                owner=a.owner, owner_organisation=a.owner_organisation, owner_is_family=a.owner_is_family,
                deadline=a.deadline.isoformat(), status=a.status, status_name=a.status_name,
                failure_reason=failure_reason, overdue=a.overdue)


def _iso(value) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


@bp.get("/cases/<int:case_id>/plan")
@require_permission("case.work")
@api_spec.validate(resp=Response(HTTP_200=PlanOut, **ERRORS), tags=["safety plan"])
def plan(case_id: int):
    """The plan as the caller may see it: entries and actions (paged, ``?pagina=``), versions, scores."""
    case, ctx = load_case(case_id)
    page = page_number()
    view = views.plan_view(db.session(), current_user, ctx, channel="api", page=page, per_page=PER_PAGE)
    return jsonify(
        case_id=case.id, case_reference=case.reference, revision=view.plan.revision if view.plan else 0,
        next_evaluation_on=view.plan.next_evaluation_on.isoformat() if view.plan and view.plan.next_evaluation_on
        else None,
        entries=[entry_json(e) for rows in view.entries.values() for e in rows],
        actions=[action_json(a) for a in view.actions], action_total=view.action_total, page=page,
        versions=[dict(id=v.id, number=v.number, status=v.status, revision=v.revision, proposed_at=_iso(v.proposed_at),
                       approved_at=_iso(v.approved_at), approval_kind=v.approval_kind) for v in view.versions],
        scores=[dict(date=when, scores=scores) for when, scores in view.scores])


def _action_out(ctx, action) -> dict:
    names = views.user_names(db.session(), {action.owner_user_id})
    view = views.action_view(current_user, ctx, action, names)
    views.audit_plan_view(db.session(), current_user, ctx, [], [view], "api")
    return action_json(view, action.failure_reason)


@bp.post("/cases/<int:case_id>/plan/actions")
@require_permission("case.work")
@api_spec.validate(json=ActionIn, resp=Response(HTTP_201=ActionOut, **WRITE_ERRORS), tags=["safety plan"],
                   before=dutch_validation_error)
def create_action(case_id: int):
    """Add an action (owner from the circle or the family; a past deadline needs ``confirm_past_deadline``)."""
    _case, ctx = load_case(case_id, "work")
    body: ActionIn = request.context.json
    action = services.add_action(db.session(), current_user, ctx, description=body.description,
                                 deadline=body.deadline, owner_user_id=body.owner_user_id,
                                 owner_organisation_id=body.owner_organisation_id,
                                 owner_is_family=body.owner_is_family, category=body.category,
                                 allow_past_deadline=body.confirm_past_deadline)
    return jsonify(_action_out(ctx, action)), 201


@bp.post("/cases/<int:case_id>/plan/actions/<int:action_id>/status")
@require_permission("case.work")
@api_spec.validate(json=StatusIn, resp=Response(HTTP_200=ActionOut, **WRITE_ERRORS), tags=["safety plan"],
                   before=dutch_validation_error)
def change_status(case_id: int, action_id: int):
    """Change an action's status with a comment (``niet_gelukt`` needs a ``failure_reason``)."""
    _case, ctx = load_case(case_id, "work")
    action = load_action(ctx, action_id)
    body: StatusIn = request.context.json
    services.change_status(db.session(), current_user, ctx, action, status=body.status, comment=body.comment,
                           failure_reason=body.failure_reason)
    return jsonify(_action_out(ctx, action))


@bp.get("/me/actions")
@require_permission("case.work")
@api_spec.validate(resp=Response(HTTP_200=ActionList, **ERRORS), tags=["safety plan"])
def my_actions():
    """The caller's own actions ("Mijn acties"), open and overdue first, paged (``?pagina=``)."""
    s = db.session()
    page = page_number()
    stmt = my_actions_query(current_user)
    total = s.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()
    rows = list(s.exec(stmt.offset((page - 1) * MY_PER_PAGE).limit(MY_PER_PAGE)))
    reasons = {a.id: a.failure_reason for a in rows}
    return jsonify(actions=[action_json(v, reasons.get(v.id)) for v in my_action_views(s, current_user, rows)],
                   total=total, page=page)
