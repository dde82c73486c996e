"""Scheduling conferences and casuïstiekoverleg: agendas, invitations, attendance, calendar files.

Views: :mod:`.routes` (planning and the meeting page), :mod:`.routes_participation`
(invitations, answers, attendance, updates) and :mod:`.routes_calendar` (calendar files and
the personal feed). JSON: :mod:`.api` on the ``/api/v1`` blueprint.
"""

from flask import Blueprint

from mda import db
from mda.core import signals
from mda.core.permissions import has_permission
from mda.core.templating import register_nav
from mda.core.timeutil import to_local, utcnow
from mda.meetings.models import Invitation, Meeting

bp = Blueprint("meetings", __name__, url_prefix="/overleggen")

register_nav("Overleggen", "meetings.index", "meeting.attend")
register_nav("Mijn week", "meetings.week", "meeting.attend")


def _home_panel(user):
    """Start-page panel: the next meetings and the invitations still to answer (no personal data)."""
    from sqlmodel import select

    from mda.meetings.access import coming, visible_meetings_query
    from mda.meetings.agendas import label

    if not has_permission(user, "meeting.attend"):
        return None
    s = db.session()
    now = utcnow()
    upcoming = s.exec(visible_meetings_query(user).where(coming(now), Meeting.status == "gepland")
                      .order_by(Meeting.starts_at).limit(3)).all()
    # one per series: a series is answered once (with exceptions per occurrence)
    pending = s.exec(select(Meeting.series_id, Meeting.id).join(Invitation, Invitation.meeting_id == Meeting.id).where(
        Invitation.user_id == user.id, Invitation.withdrawn_at.is_(None), Invitation.response == "open",
        Meeting.status == "gepland", coming(now)))
    open_answers = len({f"reeks-{series_id}" if series_id else meeting_id for series_id, meeting_id in pending})
    rows = [{"meeting": m, "label": label(m.type_code, m.title)} for m in upcoming]
    from mda.meetings.updates import deadline_of, due_for

    due_total, due = due_for(s, user)
    due_rows = [{"meeting": m, "label": label(m.type_code, m.title), "deadline": deadline_of(m)} for m, _item in due]
    return "meetings/_home_panel.html", {"upcoming": rows, "open_answers": open_answers, "updates_due": due_total,
                                         "due": due_rows}


def init_app(app) -> None:
    """Register the blueprint, the start-page panel, the reminder jobs and the feed's revocation (called by
    :func:`mda.create_app`)."""
    from mda.meetings import api, reminders  # noqa: F401  (API views join the API blueprint; @job functions the jobs)
    from mda.meetings.feeds import end_feed_of_account
    from mda.meetings.invitations import leave_closed_case

    app.register_blueprint(bp)
    signals.home_panels.connect(_home_panel, position=20)
    signals.account_credentials_ended.connect(end_feed_of_account)  # a module-level function: connected once, kept
    signals.case_page.connect(_case_page_meetings)
    signals.circle_left.connect(leave_closed_case)


from mda.meetings import routes, routes_calendar, routes_circle, routes_participation  # noqa: E402,F401


def _case_page_meetings(case, *, db, user, **_extra) -> dict:
    """The case's meetings this user may see, for the case page's panel (see :mod:`.case_meetings`), gathered
    once before rendering (:data:`mda.core.signals.case_page`)."""
    from mda.meetings.case_meetings import case_meetings, may_plan_for

    rows = case_meetings(db, user, case)
    rows["may_plan"] = may_plan_for(user, case)
    return {"case_meetings": rows}


_DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


@bp.app_template_filter("localday")
def localday(value) -> str:
    """A stored (UTC) datetime as Dutch weekday, date and time: 'maandag 07-12-2026 10:00'."""
    local = to_local(value)
    return f"{_DAYS[local.weekday()]} {local:%d-%m-%Y %H:%M}"
