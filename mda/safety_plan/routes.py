"""Plan pages: the plan with its sections and inline forms, entries and actions, status changes.

Every view loads its case through :mod:`mda.safety_plan.access` (404 outside the circle) and
shows plan content only from :mod:`mda.safety_plan.views` (the engine's decisions, audited).
Versions, exports and "Mijn acties" are in :mod:`mda.safety_plan.routes_follow_up`.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from mda import db
from mda.core import refusal
from mda.core.permissions import require_permission
from mda.safety_plan import bp, services
from mda.safety_plan.access import (
    load_action,
    load_case,
    load_entry,
    owner_choices,
    parse_owner,
    parse_party,
    party_choices,
)
from mda.safety_plan.forms import (
    ActionForm,
    EntryEditForm,
    EntryForm,
    EvaluationForm,
    ProposeForm,
    StatusForm,
)
from mda.safety_plan.pages import plan_page, status_error


def _back(case, anchor: str | None = None):
    return redirect(url_for("safety_plan.plan", case_id=case.id, _anchor=anchor))


@bp.get("/casussen/<int:case_id>/plan")
@require_permission("case.work")
def plan(case_id: int):
    """The plan of a case with its sections, actions (paged, filtered), versions and scores."""
    case, ctx = load_case(case_id)
    return plan_page(case, ctx)


@bp.post("/casussen/<int:case_id>/plan/regels")
@require_permission("case.work")
def add_entry(case_id: int):
    """Add a line to a section of the plan."""
    case, ctx = load_case(case_id, "work")
    form = EntryForm()
    form.party.choices = party_choices(ctx)
    if form.validate_on_submit():
        refusal.on_refusal(lambda exc: plan_page(case, ctx, entry_form=form, status=exc.status), form)
        services.add_entry(db.session(), current_user, ctx, section=form.section.data, text=form.text.data,
                           detail=form.detail.data or "", category=form.category.data or "veiligheidsplan",
                           **parse_party(form.party.data))
        flash("De regel is aan het plan toegevoegd.", "success")
        return _back(case, form.section.data)
    return plan_page(case, ctx, error=_first_error(form), entry_form=form, status=422)


@bp.post("/casussen/<int:case_id>/plan/regels/<int:entry_id>")
@require_permission("case.work")
def edit_entry(case_id: int, entry_id: int):
    """Change a line of the plan."""
    case, ctx = load_case(case_id, "work")
    entry = load_entry(ctx, entry_id)
    form = EntryEditForm()
    if form.validate_on_submit():
        refusal.on_refusal(lambda exc: plan_page(case, ctx, status=exc.status))
        services.update_entry(db.session(), current_user, ctx, entry, text=form.text.data,
                              detail=form.detail.data or "", **parse_party(form.party.data))
        flash("De regel is gewijzigd.", "success")
        return _back(case, f"regel-{entry.id}")
    return plan_page(case, ctx, error=_first_error(form), status=422)


@bp.post("/casussen/<int:case_id>/plan/regels/<int:entry_id>/verwijderen")
@require_permission("case.work")
def remove_entry(case_id: int, entry_id: int):
    """Take a line out of the working plan."""
    case, ctx = load_case(case_id, "work")
    entry = load_entry(ctx, entry_id)
    if not ProposeForm().validate_on_submit():
        return plan_page(case, ctx, error="Het formulier is verlopen; probeer het opnieuw.", status=422)
    refusal.on_refusal(lambda exc: plan_page(case, ctx, status=exc.status))
    services.remove_entry(db.session(), current_user, ctx, entry)
    flash("De regel is uit het plan gehaald.", "success")
    return _back(case, entry.section)


@bp.post("/casussen/<int:case_id>/plan/acties")
@require_permission("case.work")
def add_action(case_id: int):
    """Add an action with one owner and a deadline."""
    case, ctx = load_case(case_id, "work")
    form = ActionForm().setup(owner_choices(ctx))
    if form.validate_on_submit():
        refusal.on_refusal(lambda exc: plan_page(case, ctx, action_form=form, status=exc.status), form)
        services.add_action(db.session(), current_user, ctx, description=form.description.data,
                            deadline=form.deadline.data, category=form.category.data or "veiligheidsplan",
                            allow_past_deadline=bool(form.confirm_past.data), **parse_owner(form.owner.data))
        flash("De actie is toegevoegd.", "success")
        return _back(case, "acties")
    return plan_page(case, ctx, error=_first_error(form), action_form=form, status=422)


@bp.post("/casussen/<int:case_id>/plan/acties/<int:action_id>")
@require_permission("case.work")
def edit_action(case_id: int, action_id: int):
    """Change an action's description, owner or deadline."""
    case, ctx = load_case(case_id, "work")
    action = load_action(ctx, action_id)
    form = ActionForm().setup(owner_choices(ctx))
    if form.validate_on_submit():
        refusal.on_refusal(lambda exc: plan_page(case, ctx, status=exc.status))
        services.update_action(db.session(), current_user, ctx, action, description=form.description.data,
                               deadline=form.deadline.data, allow_past_deadline=bool(form.confirm_past.data),
                               **parse_owner(form.owner.data))
        flash("De actie is gewijzigd.", "success")
        return _back(case, f"actie-{action.id}")
    return plan_page(case, ctx, error=_first_error(form), status=422)


@bp.post("/casussen/<int:case_id>/plan/acties/<int:action_id>/verwijderen")
@require_permission("case.work")
def remove_action(case_id: int, action_id: int):
    """Take an action out of the working plan."""
    case, ctx = load_case(case_id, "work")
    action = load_action(ctx, action_id)
    if not ProposeForm().validate_on_submit():
        return plan_page(case, ctx, error="Het formulier is verlopen; probeer het opnieuw.", status=422)
    refusal.on_refusal(lambda exc: plan_page(case, ctx, status=exc.status))
    services.remove_action(db.session(), current_user, ctx, action)
    flash("De actie is uit het plan gehaald.", "success")
    return _back(case, "acties")


@bp.post("/casussen/<int:case_id>/plan/acties/<int:action_id>/status")
@require_permission("case.work")
def change_status(case_id: int, action_id: int):
    """Change an action's status, with a comment (and a reason when it did not succeed)."""
    case, ctx = load_case(case_id, "work")
    action = load_action(ctx, action_id)
    form = StatusForm()
    if form.validate_on_submit():
        refusal.on_refusal(lambda exc: status_error(case, ctx))
        services.change_status(db.session(), current_user, ctx, action, status=form.status.data,
                               comment=form.comment.data, failure_reason=form.failure_reason.data or None)
        flash(f"De status van actie {action.id} is gewijzigd.", "success")
        if request.form.get("terug") == "mijn-acties":
            return redirect(url_for("safety_plan.my_actions"))
        if request.form.get("terug") == "organisatie":
            return redirect(url_for("safety_plan.organisation_actions"))
        return _back(case, f"actie-{action.id}")
    return status_error(case, ctx, _first_error(form))


@bp.app_template_global()
def kept_status_input(action_id: int) -> dict | None:
    """What the user typed in the refused status change of this action, to show it again (None otherwise)."""
    if (request.endpoint not in ("safety_plan.change_status", "safety_plan.replan_action")
            or (request.view_args or {}).get("action_id") != action_id):
        return None
    kept = {key: request.form.get(key, "") for key in ("status", "failure_reason", "comment", "deadline", "reason")}
    kept["form"] = "termijn" if request.endpoint == "safety_plan.replan_action" else "status"
    return kept




@bp.post("/casussen/<int:case_id>/plan/evaluatie")
@require_permission("case.work")
def set_evaluation(case_id: int):
    """Set the date of the next evaluation (monitoring)."""
    case, ctx = load_case(case_id, "work")
    form = EvaluationForm()
    if form.validate_on_submit():
        refusal.on_refusal(lambda exc: plan_page(case, ctx, status=exc.status))
        services.set_next_evaluation(db.session(), current_user, ctx, form.next_evaluation_on.data)
        flash("De datum van de volgende evaluatie is opgeslagen.", "success")
        return _back(case, "monitoring")
    return plan_page(case, ctx, error=_first_error(form), status=422)


def _first_error(form) -> str:
    """The form's errors as one Dutch sentence for the alert at the top of the page."""
    messages = [m for field_errors in form.errors.values() for m in field_errors]
    return " ".join(str(m) for m in messages) or "Niet alle velden zijn goed ingevuld."


