"""Scheduling conferences and casuïstiekoverleg: agendas, invitations, attendance, calendar files.

Views: :mod:`.routes` (planning and the meeting page), :mod:`.routes_participation`
(invitations, answers, attendance, updates) and :mod:`.routes_calendar` (calendar files and
the personal feed). JSON: :mod:`.api` on the ``/api/v1`` blueprint.
"""

from flask import Blueprint

from mda.core.templating import register_nav

bp = Blueprint("meetings", __name__, url_prefix="/overleggen")

register_nav("Overleggen", "meetings.index", "meeting.attend")
register_nav("Mijn week", "meetings.week", "meeting.attend")


def _home_panel(user):
    """Start-page panel: the next meetings and the invitations still to answer (no personal data)."""
    from sqlmodel import select

    from mda import db
    from mda.core.permissions import has_permission
    from mda.core.timeutil import utcnow
    from mda.meetings.access import visible_meetings_query
    from mda.meetings.agendas import label
    from mda.meetings.models import Invitation, Meeting

    if not has_permission(user, "meeting.attend"):
        return None
    s = db.session()
    upcoming = s.exec(visible_meetings_query(user).where(Meeting.ends_at >= utcnow(), Meeting.status == "gepland")
                      .order_by(Meeting.starts_at).limit(3)).all()
    open_answers = len(s.exec(select(Invitation.id).join(Meeting, Meeting.id == Invitation.meeting_id).where(
        Invitation.user_id == user.id, Invitation.withdrawn_at.is_(None), Invitation.response == "open",
        Meeting.status == "gepland", Meeting.ends_at >= utcnow())).all())
    rows = [{"meeting": m, "label": label(m.type_code, m.title)} for m in upcoming]
    return "meetings/_home_panel.html", {"upcoming": rows, "open_answers": open_answers}


def _register_home_panel() -> None:
    from mda.core.routes import HOME_PANELS

    if _home_panel not in HOME_PANELS:
        HOME_PANELS.append(_home_panel)


_register_home_panel()

from mda.meetings import routes, routes_calendar, routes_participation  # noqa: E402,F401

_DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


@bp.app_template_filter("localday")
def localday(value) -> str:
    """A stored (UTC) datetime as Dutch weekday, date and time: 'maandag 07-12-2026 10:00'."""
    from mda.core.timeutil import to_local

    local = to_local(value)
    return f"{_DAYS[local.weekday()]} {local:%d-%m-%Y %H:%M}"
