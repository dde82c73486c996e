"""The joint safety plan (*veiligheidsplan*): plan page, versions and approval, actions, Word export."""

from flask import Blueprint

from mda.core.templating import register_nav

bp = Blueprint("safety_plan", __name__)

register_nav("Mijn acties", "safety_plan.my_actions", "case.work")


def _register_home_panel() -> None:
    from mda.core.routes import HOME_PANELS
    from mda.safety_plan.approval_notices import home_panel as approval_panel
    from mda.safety_plan.routes_follow_up import home_panel

    for panel in (approval_panel, home_panel):
        if panel not in HOME_PANELS:
            HOME_PANELS.append(panel)


def _register_jobs() -> None:
    from mda import jobs

    if "mda.safety_plan.coordinator_digest" not in jobs.JOB_MODULES:
        jobs.JOB_MODULES = (*jobs.JOB_MODULES, "mda.safety_plan.coordinator_digest")


from mda.safety_plan import routes  # noqa: E402,F401  (registers the views on bp)

_register_home_panel()
_register_jobs()
