"""Follow-up beyond one's own actions: "Acties van mijn organisatie" (with the team lead's assignment)
and the coordinator's overview of overdue and unowned actions over all her cases."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from mda import db
from mda.core import refusal
from mda.core.errors import ServiceError
from mda.core.permissions import require_permission
from mda.safety_plan import bp, organisation, replan, views
from mda.safety_plan.access import load_action, load_case
from mda.safety_plan.forms import AssignForm, ReplanForm
from mda.safety_plan.pages import (
    action_views_across_cases,
    organisation_actions_page,
    overview_query,
    paged,
    status_error,
)

OVERVIEW_PER_PAGE = 25
#: the coordinator overview's filter, code -> Dutch label
OVERVIEW_KINDS = {"": "te laat of zonder persoon als eigenaar", "te_laat": "alleen te laat",
                  "zonder_persoon": "alleen zonder persoon als eigenaar"}




# ----------------------------------------------------------------------------- organisation


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
    refusal.on_refusal(lambda exc: status_error(case, ctx))
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


@bp.get("/regie/acties")
@require_permission("case.coordinate")
def coordinator_overview():
    """The coordinator's overview: overdue and unowned actions over all her cases (paged)."""
    s = db.session()
    kind = request.args.get("soort", "")
    kind = kind if kind in OVERVIEW_KINDS else ""
    rows, total, page, pages = paged(overview_query(current_user, kind), OVERVIEW_PER_PAGE)
    actions, _contexts = action_views_across_cases(s, current_user, rows, "overzicht procesregisseur")
    return render_template("safety_plan/coordinator_overview.html", actions=actions, total=total, page=page,
                           pages=pages, kinds=OVERVIEW_KINDS, kind=kind)
