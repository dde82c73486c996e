"""Cases, the minimal data set and the bases for sharing it (intake, triage, consents)."""

from flask import Blueprint

from mda.core.templating import register_nav

bp = Blueprint("cases", __name__, url_prefix="/casussen")

register_nav("Casussen", "cases.case_list", "case.work")
register_nav("Aanmelden", "cases.intake", "case.request")
register_nav("Triage", "cases.triage_list", "case.triage")


def _home_panel(user):
    """Start-page panel: referrals waiting for this coordinator's triage (a count, no personal data)."""
    from mda import db
    from mda.cases.intake import pending_referrals
    from mda.core.permissions import has_permission

    if not has_permission(user, "case.triage"):
        return None
    return "cases/_home_panel.html", {"pending": len(pending_referrals(db.session(), user))}


def _register_home_panel() -> None:
    from mda.core.routes import HOME_PANELS

    if _home_panel not in HOME_PANELS:
        HOME_PANELS.append(_home_panel)


_register_home_panel()

from mda.cases import circle_routes, decision_routes, edit_routes, intake_routes, routes  # noqa: E402,F401
