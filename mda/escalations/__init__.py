"""Escalations when professionals and Veilig Thuis disagree: the ladder, positions, decisions.

Plugs into the safety plan (an open escalation locks the disputed entry or action, see
:func:`mda.safety_plan.services.entry_is_locked`) and into the job runner (the job
``escalatietermijnen`` moves escalations up when a level's time limit passed).
"""

from flask import Blueprint

from mda import db
from mda.core import signals
from mda.core.permissions import has_permission
from mda.core.templating import register_nav

bp = Blueprint("escalations", __name__)

register_nav("Escalaties", "escalations.dashboard", "case.work")


def home_panel(user):
    """Start-page panel: the number of unread notifications (a count only)."""
    from mda.escalations.notify import unread_count

    if not has_permission(user, "case.work"):
        return None
    return "escalations/_home_panel.html", {"unread": unread_count(db.session(), user)}


def init_app(app) -> None:
    """Register the blueprint; connect the plan, item and phase locks, the start-page panel and the deadline job
    (called by :func:`mda.create_app`)."""
    from mda.escalations import jobs  # noqa: F401  (its @job functions join the job registry)
    from mda.escalations.access import meeting_invitees
    from mda.escalations.locks import decision_item_refusal, phase_change_refusal, plan_subject_is_locked

    app.register_blueprint(bp)
    signals.plan_lock_providers.connect(plan_subject_is_locked)
    signals.item_lock_providers.connect(decision_item_refusal)
    signals.phase_lock_providers.connect(phase_change_refusal)
    signals.home_panels.connect(home_panel, position=40)
    signals.escalation_meeting_invitees.connect(meeting_invitees)
    signals.case_page.connect(_case_page_escalations)
    signals.plan_page.connect(_plan_page_escalations)


def escalation_marks(db_session, case_id: int) -> dict:
    """Subject -> its latest escalation, for the "in escalatie" marker (one query per case), read by the view
    before rendering: templates only render them."""
    from mda.escalations.locks import subjects_of_case

    return subjects_of_case(db_session, case_id)


def _case_page_escalations(case, *, db, **_extra) -> dict:
    """The case's escalation marks for the case page, read before rendering (:data:`mda.core.signals.case_page`)."""
    return {"case_escalations": escalation_marks(db, case.id)}


def _plan_page_escalations(case, *, db, **_extra) -> dict:
    """The marks beside the plan's entries and actions, read before rendering (:data:`mda.core.signals.plan_page`)."""
    return {"escalation_marks": escalation_marks(db, case.id)}


from mda.escalations import api, routes  # noqa: E402,F401  (registers the views)
