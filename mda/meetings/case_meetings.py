"""The meetings of one case, for its case page: past and coming, with the answers.

A user sees a meeting here only when they may see the meeting itself (its coordinator or
an invitee: :func:`mda.meetings.access.visible_meetings_query`); the case page itself is
already limited to the case's circle. The list is bounded (the next and the last few).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, literal, union_all
from sqlmodel import Session, select

from mda.auth.models import User
from mda.cases.models import Case
from mda.core.permissions import has_permission
from mda.core.timeutil import utcnow
from mda.meetings import access, agendas, invitations
from mda.meetings.models import RESPONSES, AgendaItem, Invitation, Meeting

#: at most this many coming and this many past meetings on the case page
LIMIT = 10


@dataclass(frozen=True, slots=True)
class MeetingRow:
    """A meeting as the panel shows it (plain columns, not a model object): what the page and the planner
    check read."""

    id: int
    type_code: str
    title: str
    starts_at: datetime
    status: str
    coordinator_id: int

    cancelled = Meeting.cancelled  # the model's own rule, not a copy of it


@dataclass
class CaseMeetingRow:
    meeting: MeetingRow
    label: str
    past: bool
    my_answer: str | None
    answers: dict[str, int] | None  # for the meeting's planner only


@functools.cache
def _statement():
    """The panel's one statement, built once per process; the user, the case and the moment are parameters.

    Visibility is :func:`access.visible_meetings_query` itself, given the user's id as a parameter.
    """
    user = SimpleNamespace(id=bindparam("user_id"))
    with_case = select(AgendaItem.meeting_id).where(AgendaItem.case_id == bindparam("case_id"),
                                                    AgendaItem.kind == "casus")
    base = access.visible_meetings_query(user).where(Meeting.id.in_(with_case))
    now = bindparam("now")

    def part(past: bool, condition, order):
        # each part cut at LIMIT before the union; "past" travels with the id
        return (base.with_only_columns(Meeting.id.label("id"), literal(past).label("past"))
                .where(condition).order_by(order).limit(LIMIT).subquery().select())

    shown = union_all(part(False, access.coming(now), Meeting.starts_at),
                      part(True, access.held(now), Meeting.starts_at.desc())).subquery()
    # the meetings of both parts with the user's own (not withdrawn) invitation to each
    return select(Meeting.id, Meeting.type_code, Meeting.title, Meeting.starts_at, Meeting.status,
                  Meeting.coordinator_id, Invitation.response, shown.c.past).join(
        shown, shown.c.id == Meeting.id).outerjoin(
        Invitation, and_(Invitation.meeting_id == Meeting.id, Invitation.user_id == user.id,
                         Invitation.withdrawn_at.is_(None)))


def case_meetings(db: Session, user: User, case: Case) -> dict[str, list[CaseMeetingRow]]:
    """{"coming": [...], "past": [...]}: the case's meetings this user may see."""
    rows = db.exec(_statement(), params={"user_id": user.id, "case_id": case.id, "now": utcnow()}).all()
    meetings: dict[int, tuple[MeetingRow, bool]] = {}
    mine: dict[int, str] = {}  # meeting id -> the user's own answer
    for *meeting, response, past in rows:
        m = MeetingRow(*meeting)
        meetings[m.id] = (m, bool(past))
        if response is not None:
            mine[m.id] = response
    planned = [mid for mid, (m, _past) in meetings.items() if access.is_planner(user, m)]
    answers = invitations.answers_overviews(db, planned) if planned else {}

    def row(m: MeetingRow, is_past: bool) -> CaseMeetingRow:
        response = mine.get(m.id)
        return CaseMeetingRow(m, agendas.label(m.type_code, m.title), is_past,
                              RESPONSES.get(response, response) if response is not None else None, answers.get(m.id))

    coming = sorted((m for m, past in meetings.values() if not past), key=lambda m: m.starts_at)
    past = sorted((m for m, past in meetings.values() if past), key=lambda m: m.starts_at, reverse=True)
    return {"coming": [row(m, False) for m in coming], "past": [row(m, True) for m in past]}


def may_plan_for(user: User, case: Case) -> bool:
    """Whether "Overleg plannen" is offered on the case page (a planner, for an open case)."""
    return has_permission(user, "meeting.plan") and case.closed_at is None and case.purged_at is None
