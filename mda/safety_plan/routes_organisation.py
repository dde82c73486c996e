"""Follow-up beyond one's own actions: "Acties van mijn organisatie" (with the team lead's assignment)
and the coordinator's overview of overdue and unowned actions over all her cases."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import and_, or_
from sqlmodel import func, select

from mda import db
from mda.auth.models import User
from mda.cases.models import Case
from mda.core import refusal
from mda.core.errors import ServiceError
from mda.core.permissions import require_permission
from mda.safety_plan import bp, organisation, replan, views
from mda.safety_plan.access import load_action, load_case
from mda.safety_plan.forms import AssignForm, ReplanForm, StatusForm
from mda.safety_plan.models import ACTION_STATUSES, OPEN_STATUSES, PlanAction
from mda.safety_plan.routes import _status_error, page_number
from mda.safety_plan.routes_follow_up import MY_PER_PAGE, action_views_across_cases

OVERVIEW_PER_PAGE = 25
#: the coordinator overview's filter, code -> Dutch label
OVERVIEW_KINDS = {"": "te laat of zonder persoon als eigenaar", "te_laat": "alleen te laat",
                  "zonder_persoon": "alleen zonder persoon als eigenaar"}


def _paged(stmt, per_page: int):
    s = db.session()
    page = page_number()
    total = s.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()
    rows = list(s.exec(stmt.offset((page - 1) * per_page).limit(per_page)))
    return rows, total, page, max(1, -(-total // per_page))


# ----------------------------------------------------------------------------- organisation
def organisation_actions_page(error: str | None = None, status: int = 200):
    """Render "Acties van mijn organisatie" (paged; filters: status, overdue)."""
    s = db.session()
    status_filter = request.args.get("status") if request.args.get("status") in ACTION_STATUSES else None
    overdue = request.args.get("te_laat") == "1"
    rows, total, page, pages = _paged(organisation.organisation_actions_query(
        current_user, status=status_filter, overdue=overdue), MY_PER_PAGE)
    actions, contexts = action_views_across_cases(s, current_user, rows, "acties van mijn organisatie")
    choices: dict[int, list[User]] = {}
    if organisation.is_team_lead_of(current_user, current_user.organisation_id):
        people = organisation.colleagues(s, current_user)
        choices = {a.id: organisation.assignable_colleagues(people, contexts[a.case_id])
                   for a in actions if a.status in OPEN_STATUSES}
    return render_template("safety_plan/organisation_actions.html", actions=actions, total=total, page=page,
                           pages=pages, statuses=ACTION_STATUSES, status_filter=status_filter, overdue=overdue,
                           status_form=StatusForm(formdata=None), assign_form=AssignForm(formdata=None),
                           choices=choices, error=error), status


@bp.get("/acties-van-mijn-organisatie")
@require_permission("case.work")
def organisation_actions():
    """Actions owned by the user's organisation (no person yet), in the cases the user may open."""
    return organisation_actions_page()


@bp.post("/casussen/<int:case_id>/plan/acties/<int:action_id>/toewijzen")
@require_permission("action.assign")
def assign_action(case_id: int, action_id: int):
    """The team lead of the owning organisation hands an organisation-owned action to a colleague."""
    _case, ctx = load_case(case_id, "work")
    action = load_action(ctx, action_id)
    form = AssignForm()
    if not form.validate_on_submit():
        return organisation_actions_page(error="Kies een collega om de actie aan toe te wijzen.", status=422)
    refusal.on_refusal(lambda exc: organisation_actions_page(status=exc.status))
    organisation.assign_to_colleague(db.session(), current_user, ctx, action, form.colleague.data)
    flash(f"Actie {action.id} is toegewezen.", "success")
    return redirect(url_for("safety_plan.organisation_actions"))


@bp.post("/casussen/<int:case_id>/plan/acties/<int:action_id>/termijn")
@require_permission("case.work")
def replan_action(case_id: int, action_id: int):
    """A new deadline for an open action, with the reason (kept in the action's history)."""
    case, ctx = load_case(case_id, "work")
    action = load_action(ctx, action_id)
    form = ReplanForm()
    refusal.on_refusal(lambda exc: _status_error(case, ctx))
    if not form.validate_on_submit():
        raise ServiceError(" ".join(str(m) for errors in form.errors.values() for m in errors)
                           or "Het formulier is verlopen; probeer het opnieuw.")
    replan.replan(db.session(), current_user, ctx, action, deadline=form.deadline.data, reason=form.reason.data,
                  today=views.today())
    flash(f"Actie {action.id} heeft een nieuwe termijn.", "success")
    back = request.form.get("terug")
    if back in ("mijn-acties", "organisatie"):
        return redirect(url_for("safety_plan.my_actions" if back == "mijn-acties"
                                else "safety_plan.organisation_actions"))
    return redirect(url_for("safety_plan.plan", case_id=case.id, _anchor=f"actie-{action.id}"))


# ----------------------------------------------------------------------------- coordinator
def overview_query(user: User, kind: str = "", today=None):
    """Open actions in the cases *user* coordinates that are overdue or have no person as owner
    (an organisation's action nobody picked up, or an owner whose account is closed); most overdue first."""
    today = today or views.today()
    overdue = PlanAction.deadline < today
    no_person = and_(PlanAction.owner_is_family.is_(False),
                     or_(PlanAction.owner_user_id.is_(None), User.active.is_(False)))
    condition = {"te_laat": overdue, "zonder_persoon": no_person}.get(kind, or_(overdue, no_person))
    return (select(PlanAction)
            .join(Case, Case.id == PlanAction.case_id)
            .outerjoin(User, User.id == PlanAction.owner_user_id)
            .where(Case.coordinator_id == user.id, Case.purged_at.is_(None), PlanAction.removed_at.is_(None),
                   PlanAction.status.in_(OPEN_STATUSES), condition)
            .order_by(PlanAction.deadline, PlanAction.id))


@bp.get("/regie/acties")
@require_permission("case.coordinate")
def coordinator_overview():
    """The coordinator's overview: overdue and unowned actions over all her cases (paged)."""
    s = db.session()
    kind = request.args.get("soort", "")
    kind = kind if kind in OVERVIEW_KINDS else ""
    rows, total, page, pages = _paged(overview_query(current_user, kind), OVERVIEW_PER_PAGE)
    actions, _contexts = action_views_across_cases(s, current_user, rows, "overzicht procesregisseur")
    return render_template("safety_plan/coordinator_overview.html", actions=actions, total=total, page=page,
                           pages=pages, kinds=OVERVIEW_KINDS, kind=kind)
