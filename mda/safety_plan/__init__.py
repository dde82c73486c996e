"""The joint safety plan (*veiligheidsplan*): plan page, versions and approval, actions, Word export."""

from flask import Blueprint

from mda.core import signals
from mda.core.templating import register_nav

bp = Blueprint("safety_plan", __name__)

register_nav("Mijn acties", "safety_plan.my_actions", "case.work")


from mda.safety_plan import routes, routes_follow_up, routes_organisation  # noqa: E402,F401  (the views on bp)


def init_app(app) -> None:
    """Register the blueprint, the start-page panels, the meeting page's open actions and the reminder and digest
    jobs (called by :func:`mda.create_app`)."""
    from mda.safety_plan import api, coordinator_digest, reminders  # noqa: F401  (API views; @job functions)
    from mda.safety_plan.approval_notices import home_panel as approval_panel
    from mda.safety_plan.routes_follow_up import home_panel, meeting_page_open_actions
    from mda.safety_plan.services import hand_over_actions

    app.register_blueprint(bp)
    signals.meeting_page.connect(meeting_page_open_actions)  # a module-level function: connected once, kept
    signals.home_panels.connect(approval_panel, position=30)
    signals.home_panels.connect(home_panel, position=31)
    signals.circle_left.connect(hand_over_actions)
