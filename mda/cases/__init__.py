"""Cases, the minimal data set and the bases for sharing it (intake, triage, consents)."""

from flask import Blueprint

from mda import db
from mda.cases.models import Case
from mda.core import sharing, signals
from mda.core.permissions import has_permission
from mda.core.templating import register_nav

bp = Blueprint("cases", __name__, url_prefix="/casussen")

register_nav("Casussen", "cases.case_list", "case.work")
register_nav("Aanmelden", "cases.intake", "case.request")
register_nav("Triage", "cases.triage_list", "case.triage")


def _home_panel(user):
    """Start-page panel: referrals waiting for this coordinator's triage (a count, no personal data)."""
    from mda.cases.intake import pending_referrals

    if not has_permission(user, "case.triage"):
        return None
    return "cases/_home_panel.html", {"pending": len(pending_referrals(db.session(), user))}


def _my_cases_panel(user):
    """Start-page panel "Mijn casussen": the newest cases of the user's circles (references and phases only)."""
    from sqlmodel import select


    if not has_permission(user, "case.work"):
        return None
    s = db.session()
    ids = list(s.exec(sharing.visible_case_ids(user, limit=6)))
    cases = sorted(s.exec(select(Case).where(Case.id.in_(ids))), key=lambda c: -c.id) if ids else []
    return "cases/_my_cases_panel.html", {"cases": cases[:5], "more": len(cases) > 5,
                                          "coordinates": [c.id for c in cases if c.coordinator_id == user.id]}


def init_app(app) -> None:
    """Register the blueprint and connect the start-page panels (called by :func:`mda.create_app`)."""
    from mda.cases import api  # noqa: F401  (its views join the JSON API's blueprint, registered after the features)
    from mda.cases.circle import leave_circles_of_moved_account

    app.register_blueprint(bp)
    signals.account_moved.connect(leave_circles_of_moved_account)
    signals.home_panels.connect(_my_cases_panel, position=10)
    signals.home_panels.connect(_home_panel, position=11)

from mda.cases import circle_routes, decision_routes, edit_routes, intake_routes, routes  # noqa: E402,F401
