"""Escalations when professionals and Veilig Thuis disagree: the ladder, positions, decisions.

Plugs into the safety plan (an open escalation locks the disputed entry or action, see
:func:`mda.safety_plan.services.entry_is_locked`) and into the job runner (the job
``escalatietermijnen`` moves escalations up when a level's time limit passed).
"""

from flask import Blueprint

from mda.core.templating import register_nav

bp = Blueprint("escalations", __name__)

register_nav("Escalaties", "escalations.dashboard", "case.work")


def _plug_in() -> None:
    """Register the plan and phase lock providers and the job module (each once)."""
    from mda import jobs
    from mda.cases import history
    from mda.cases import services as case_services
    from mda.escalations.services import decision_item_refusal, phase_change_refusal, plan_subject_is_locked
    from mda.safety_plan import services as plan_services

    if plan_subject_is_locked not in plan_services.LOCK_PROVIDERS:
        plan_services.LOCK_PROVIDERS.append(plan_subject_is_locked)
    if decision_item_refusal not in history.ITEM_LOCK_PROVIDERS:
        history.ITEM_LOCK_PROVIDERS.append(decision_item_refusal)
    if phase_change_refusal not in case_services.PHASE_LOCK_PROVIDERS:
        case_services.PHASE_LOCK_PROVIDERS.append(phase_change_refusal)
    if "mda.escalations.jobs" not in jobs.JOB_MODULES:
        jobs.JOB_MODULES = (*jobs.JOB_MODULES, "mda.escalations.jobs")


_plug_in()


def home_panel(user):
    """Start-page panel: the number of unread notifications (a count only)."""
    from mda import db
    from mda.core.permissions import has_permission
    from mda.escalations.notify import unread_count

    if not has_permission(user, "case.work"):
        return None
    return "escalations/_home_panel.html", {"unread": unread_count(db.session(), user)}


def _register_home_panel() -> None:
    from mda.core.routes import HOME_PANELS

    if home_panel not in HOME_PANELS:
        HOME_PANELS.append(home_panel)


_register_home_panel()


def escalation_marks(case_id: int) -> dict:
    """Template global: subject -> its latest escalation, for the "in escalatie" marker (one query per case)."""
    from flask import g

    cache = g.setdefault("escalation_marks", {})
    if case_id not in cache:
        from mda import db
        from mda.escalations.services import subjects_of_case

        cache[case_id] = subjects_of_case(db.session(), case_id)
    return cache[case_id]


bp.record_once(lambda state: state.app.jinja_env.globals.update(escalation_marks=escalation_marks))


def _case_page_escalations(case, **_extra) -> dict:
    """The case's escalation marks for the case page, read before rendering (:data:`mda.core.signals.case_page`);
    kept for the request, so a marker on the same page reads no more."""
    return {"case_escalations": escalation_marks(case.id)}


def _connect_case_page() -> None:
    from mda.core.signals import case_page

    case_page.connect(_case_page_escalations)  # a module-level function: connected once, kept


_connect_case_page()

from mda.escalations import api, routes  # noqa: E402,F401  (registers the views)
