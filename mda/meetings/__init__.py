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

from mda.meetings import routes, routes_calendar, routes_participation  # noqa: E402,F401

_DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


@bp.app_template_filter("localday")
def localday(value) -> str:
    """A stored (UTC) datetime as Dutch weekday, date and time: 'maandag 07-12-2026 10:00'."""
    from mda.core.timeutil import to_local

    local = to_local(value)
    return f"{_DAYS[local.weekday()]} {local:%d-%m-%Y %H:%M}"
