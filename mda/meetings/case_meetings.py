"""The meetings of one case, for its case page: past and coming, with the answers.

A user sees a meeting here only when they may see the meeting itself (its coordinator or
an invitee: :func:`mda.meetings.access.visible_meetings_query`); the case page itself is
already limited to the case's circle. The list is bounded (the next and the last few).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from mda.auth.models import User
from mda.cases.models import Case
from mda.core.permissions import has_permission
from mda.core.timeutil import utcnow
from mda.meetings import access, agendas, invitations
from mda.meetings.models import AgendaItem, Invitation, Meeting

#: at most this many coming and this many past meetings on the case page
LIMIT = 10


@dataclass
class CaseMeetingRow:
    meeting: Meeting
    label: str
    past: bool
    my_answer: str | None
    answers: dict[str, int] | None  # for the meeting's planner only


def case_meetings(db: Session, user: User, case: Case) -> dict[str, list[CaseMeetingRow]]:
    """{"coming": [...], "past": [...]}: the case's meetings this user may see."""
    now = utcnow()
    with_case = select(AgendaItem.meeting_id).where(AgendaItem.case_id == case.id, AgendaItem.kind == "casus")
    base = access.visible_meetings_query(user).where(Meeting.id.in_(with_case))
    coming = list(db.exec(base.where(Meeting.ends_at >= now).order_by(Meeting.starts_at).limit(LIMIT)))
    past = list(db.exec(base.where(Meeting.ends_at < now).order_by(Meeting.starts_at.desc()).limit(LIMIT)))
    ids = [m.id for m in coming + past]
    mine = {i.meeting_id: i for i in db.exec(select(Invitation).where(
        Invitation.meeting_id.in_(ids), Invitation.user_id == user.id, Invitation.withdrawn_at.is_(None)))} \
        if ids else {}

    def row(m: Meeting, is_past: bool) -> CaseMeetingRow:
        inv = mine.get(m.id)
        return CaseMeetingRow(m, agendas.label(m.type_code, m.title), is_past, inv.response_name if inv else None,
                              invitations.answers_overview(db, m) if access.is_planner(user, m) else None)

    return {"coming": [row(m, False) for m in coming], "past": [row(m, True) for m in past]}


def may_plan_for(user: User, case: Case) -> bool:
    """Whether "Overleg plannen" is offered on the case page (a planner, for an open case)."""
    return has_permission(user, "meeting.plan") and case.closed_at is None and case.purged_at is None
