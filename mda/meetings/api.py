"""JSON API for meetings, agenda items, invitations, answers, attendance, updates and free slots.

The same loaders, services and sharing decisions as the pages: a meeting is 404 for
anyone not invited; a case item shows its reference only to the case's circle.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, jsonify, request
from flask_login import current_user
from spectree import Response
from sqlmodel import select

from mda import db
from mda.api import bp
from mda.api.routes import ERRORS, WRITE_ERRORS, require_login
from mda.auth.models import User
from mda.core import paging, sharing
from mda.core.errors import error_response
from mda.core.permissions import require_permission
from mda.core.timeutil import LocalTimeError, as_utc, format_local, parse_local, to_local, utcnow
from mda.extensions import api_spec
from mda.meetings import access, agendas, changes, invitations, services, slots, updates
from mda.meetings.agendas import TemplateItem
from mda.meetings.api_schemas import (
    AnswerIn,
    AttendanceIn,
    CancelQuery,
    InvitationIn,
    InvitationList,
    ItemIn,
    ItemList,
    MeetingIn,
    MeetingList,
    MeetingOut,
    MeetingPatch,
    MeetingQuery,
    SlotList,
    SlotQuery,
    UpdateIn,
    UpdateList,
)
from mda.meetings.calendars import meeting_url
from mda.meetings.models import AgendaItem, Invitation, InvitationItem, Meeting, MeetingSeries
from mda.meetings.services import MeetingData, MeetingError

TAGS = ["overleggen"]


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat().replace("+00:00", "Z") if value is not None else None


def _local_iso(value: datetime) -> str:
    return to_local(value).isoformat()


def _past_start(starts_at, confirmed: bool) -> None:
    """Refuse a start in the past unless the caller confirmed it, as the planning page asks to (``confirm_past``)."""
    if not confirmed and as_utc(starts_at) < utcnow():
        raise MeetingError(f"Het overleg begint op {format_local(starts_at)}: dat ligt in het verleden. Klopt de "
                           "datum? Wilt u een overleg achteraf vastleggen, stuur dan confirm_past mee.", "start")


def _time(value: str, field: str, dst: str | None) -> datetime:
    try:
        return parse_local(value, dst=dst)
    except LocalTimeError as exc:
        raise MeetingError(str(exc), field, exc.suggestions) from None
    except ValueError as exc:
        raise MeetingError(str(exc), field) from None


def _summary(meeting: Meeting, invitation: Invitation | None) -> dict:
    return _summary_of(meeting, invitation.response if invitation else None)


def _summary_of(meeting, my_response: str | None) -> dict:
    """A meeting's summary from anything with its columns: a model object, or a plain row of the list."""
    return dict(id=meeting.id, type=meeting.type_code, type_name=agendas.type_name(meeting.type_code),
                title=meeting.title, start=_iso(meeting.starts_at), end=_iso(meeting.ends_at),
                start_local=_local_iso(meeting.starts_at), end_local=_local_iso(meeting.ends_at),
                status=meeting.status, series_id=meeting.series_id, my_response=my_response)


def _items(view: access.MeetingView) -> list[dict]:
    return [dict(id=iv.item.id, kind=iv.item.kind, label=iv.label, case_visible=iv.case_visible,
                 case_id=iv.item.case_id if iv.case_visible else None, case_reference=iv.reference,
                 start=_iso(iv.item.starts_at), end=_iso(iv.item.ends_at), start_local=_local_iso(iv.item.starts_at),
                 end_local=_local_iso(iv.item.ends_at), invited=iv.invited,
                 steps=iv.item.step_list if iv.case_visible else []) for iv in view.items]


def _invitation(inv: Invitation) -> dict:
    s = db.session()
    user = s.get(User, inv.user_id)
    item_ids = [] if inv.whole_meeting else sorted(s.exec(select(InvitationItem.agenda_item_id).where(
        InvitationItem.invitation_id == inv.id)))
    return dict(id=inv.id, user_id=user.id, name=user.name, organisation=user.organisation.name, role=inv.role,
                whole_meeting=inv.whole_meeting, item_ids=item_ids, required=inv.required, response=inv.response,
                responded_at=_iso(inv.responded_at), delegated_to_id=inv.delegated_to_id, attendance=inv.attendance)


def _invitations(view: access.MeetingView) -> list[dict]:
    """Planner, chair and minute-taker see every invitation; others only their own."""
    if view.planner or view.runner:
        rows = db.session().exec(select(Invitation).where(Invitation.meeting_id == view.meeting.id,
                                                          Invitation.withdrawn_at.is_(None)).order_by(Invitation.id))
        return [_invitation(i) for i in rows]
    return [_invitation(view.invitation)] if view.invitation else []


def _meeting_out(meeting: Meeting, warnings: list[str] = ()) -> dict:
    view = access.meeting_view(db.session(), current_user, meeting)
    return dict(**_summary(meeting, view.invitation), location=meeting.location, online_link=meeting.online_link,
                coordinator_id=meeting.coordinator_id, chair_id=meeting.chair_id,
                minute_taker_id=meeting.minute_taker_id, update_deadline=_iso(meeting.update_deadline),
                calendar_url=meeting_url(meeting) + "/overleg.ics", items=_items(view),
                invitations=_invitations(view), warnings=list(warnings))


def _agenda(rows) -> list[TemplateItem] | None:
    return None if rows is None else [TemplateItem(r.title, r.minutes, r.cases) for r in rows]


# ----------------------------------------------------------------------------- meetings
@bp.get("/meetings")
@api_spec.validate(query=MeetingQuery, resp=Response(HTTP_200=MeetingList, **ERRORS), tags=TAGS)
def meetings():
    """The caller's meetings: coming up, or the past three months (``?eerder=true``); paged (``page``, ``per_page``)."""
    require_login()
    now = utcnow()
    # plain rows in one statement: the meeting's columns with the caller's own answer beside them (no model objects)
    mine = Invitation.__table__.alias("mine")
    query = access.visible_meetings_query(current_user).with_only_columns(
        Meeting.id, Meeting.type_code, Meeting.title, Meeting.starts_at, Meeting.ends_at, Meeting.status,
        Meeting.series_id, mine.c.response.label("my_response"),
    ).outerjoin(mine, (mine.c.meeting_id == Meeting.id) & (mine.c.user_id == current_user.id)
                & mine.c.withdrawn_at.is_(None))
    if request.context.query.eerder:
        query = query.where(Meeting.ends_at < now).order_by(Meeting.starts_at.desc())
    else:
        query = query.where(Meeting.ends_at >= now).order_by(Meeting.starts_at)
    args = request.context.query
    page = paging.paginate(db.session(), query.order_by(Meeting.id), args.page, args.per_page, scalars=False)
    return jsonify(meetings=[_summary_of(row, row.my_response) for row in page.items], **page.meta())


@bp.post("/meetings")
@require_permission("meeting.plan")
@api_spec.validate(json=MeetingIn, resp=Response(HTTP_201=MeetingOut, **WRITE_ERRORS), tags=TAGS)
def create_meeting():
    """Plan a meeting or a series. Conflicts (participant or room booked) come back as warnings."""
    body: MeetingIn = request.context.json
    data = MeetingData(
        type_code=body.type, title=body.title, starts_at=_time(body.start, "start", body.dst),
        ends_at=_time(body.end, "end", body.dst), location=body.location, online_link=body.online_link,
        chair_id=body.chair_id, minute_taker_id=body.minute_taker_id,
        update_deadline=_time(body.update_deadline, "update_deadline", "zomertijd") if body.update_deadline
        else None, case_ids=body.case_ids, case_minutes=body.case_minutes, agenda=_agenda(body.agenda),
        frequency=body.series.frequency if body.series else None, until=body.series.until if body.series else None)
    _past_start(data.starts_at, body.confirm_past)
    meeting = services.create_meeting(db.session(), current_user, data)
    return jsonify(_meeting_out(meeting, _warnings(meeting))), 201


def _warnings(meeting: Meeting) -> list[str]:
    """Conflicts of the saved meeting: required participants or the room already booked (not blocking)."""
    people = set(db.session().exec(select(Invitation.user_id).where(
        Invitation.meeting_id == meeting.id, Invitation.withdrawn_at.is_(None), Invitation.required.is_(True),
        Invitation.response.not_in(("afgewezen", "gedelegeerd")))))
    return slots.conflicts(db.session(), user_ids=people, location=meeting.location, start=meeting.starts_at,
                           end=meeting.ends_at, exclude={meeting.id})


@bp.get("/meetings/<int:meeting_id>")
@api_spec.validate(resp=Response(HTTP_200=MeetingOut, **ERRORS), tags=TAGS)
def meeting(meeting_id: int):
    """One meeting with its agenda (case items filtered per case circle) and invitations."""
    require_login()
    return jsonify(_meeting_out(access.load_meeting_or_404(db.session(), current_user, meeting_id)))


@bp.patch("/meetings/<int:meeting_id>")
@api_spec.validate(json=MeetingPatch, resp=Response(HTTP_200=MeetingOut, **WRITE_ERRORS), tags=TAGS)
def update_meeting(meeting_id: int):
    """Change a meeting; ``scope = volgende`` changes this and all following occurrences of a series."""
    require_login()
    s = db.session()
    meeting = access.load_planned_meeting(s, current_user, meeting_id)
    body: MeetingPatch = request.context.json
    start = _time(body.start, "start", body.dst) if body.start else as_utc(meeting.starts_at)
    end = _time(body.end, "end", body.dst) if body.end else start + (as_utc(meeting.ends_at)
                                                                       - as_utc(meeting.starts_at))
    series = s.get(MeetingSeries, meeting.series_id) if meeting.series_id else None
    fields = body.model_fields_set
    data = MeetingData(
        type_code=meeting.type_code, title=body.title if body.title is not None else meeting.title,
        starts_at=start, ends_at=end,
        location=body.location if body.location is not None else meeting.location,
        online_link=body.online_link if body.online_link is not None else meeting.online_link,
        chair_id=body.chair_id if "chair_id" in fields else meeting.chair_id,
        minute_taker_id=body.minute_taker_id if "minute_taker_id" in fields else meeting.minute_taker_id,
        update_deadline=(_time(body.update_deadline, "update_deadline", "zomertijd") if body.update_deadline
                         else None) if "update_deadline" in fields else meeting.update_deadline,
        agenda=_agenda(body.agenda),
        frequency=(body.series.frequency if body.series else series.frequency if series else None),
        until=(body.series.until if body.series else series.until if series else None))
    if as_utc(start) != as_utc(meeting.starts_at):
        _past_start(start, body.confirm_past)
    changes.update_meeting(s, current_user, meeting, data, body.scope)
    return jsonify(_meeting_out(meeting, _warnings(meeting)))


@bp.delete("/meetings/<int:meeting_id>")
@api_spec.validate(query=CancelQuery, resp=Response(HTTP_200=MeetingOut, **WRITE_ERRORS), tags=TAGS)
def cancel_meeting(meeting_id: int):
    """Cancel a meeting (``scope=reeks``: every coming occurrence of its series); invitees get METHOD:CANCEL."""
    require_login()
    meeting = access.load_planned_meeting(db.session(), current_user, meeting_id)
    changes.cancel_meeting(db.session(), current_user, meeting, request.context.query.scope)
    return jsonify(_meeting_out(meeting))


# ----------------------------------------------------------------------------- agenda items
@bp.get("/meetings/<int:meeting_id>/items")
@api_spec.validate(resp=Response(HTTP_200=ItemList, **ERRORS), tags=TAGS)
def meeting_items(meeting_id: int):
    """The agenda: every item with its times; a case item of another circle as 'casus (niet zichtbaar)'."""
    require_login()
    meeting = access.load_meeting_or_404(db.session(), current_user, meeting_id)
    return jsonify(items=_items(access.meeting_view(db.session(), current_user, meeting)))


@bp.post("/meetings/<int:meeting_id>/items")
@api_spec.validate(json=ItemIn, resp=Response(HTTP_201=ItemList, **WRITE_ERRORS), tags=TAGS)
def add_item(meeting_id: int):
    """Put a case on the agenda with its own time slot."""
    require_login()
    meeting = access.load_planned_meeting(db.session(), current_user, meeting_id)
    body: ItemIn = request.context.json
    services.add_case_item(db.session(), current_user, meeting, body.case_id, body.minutes)
    return jsonify(items=_items(access.meeting_view(db.session(), current_user, meeting))), 201


@bp.delete("/meetings/<int:meeting_id>/items/<int:item_id>")
@api_spec.validate(resp=Response(HTTP_200=ItemList, **WRITE_ERRORS), tags=TAGS)
def remove_item(meeting_id: int, item_id: int):
    """Take a case off the agenda."""
    require_login()
    meeting = access.load_planned_meeting(db.session(), current_user, meeting_id)
    item = db.session().get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        sharing.refuse_foreign(db.session(), current_user, "agenda_item", item_id)
    services.remove_case_item(db.session(), current_user, meeting, item)
    return jsonify(items=_items(access.meeting_view(db.session(), current_user, meeting)))


# ----------------------------------------------------------------------------- invitations
@bp.get("/meetings/<int:meeting_id>/invitations")
@api_spec.validate(resp=Response(HTTP_200=InvitationList, **ERRORS), tags=TAGS)
def meeting_invitations(meeting_id: int):
    """All answers for coordinator, chair and minute-taker; one's own invitation for everyone else."""
    require_login()
    meeting = access.load_meeting_or_404(db.session(), current_user, meeting_id)
    return jsonify(invitations=_invitations(access.meeting_view(db.session(), current_user, meeting)))


@bp.post("/meetings/<int:meeting_id>/invitations")
@api_spec.validate(json=InvitationIn, resp=Response(HTTP_201=InvitationList, **WRITE_ERRORS), tags=TAGS)
def invite(meeting_id: int):
    """Invite a professional of the case circle for the whole meeting or for some case items."""
    require_login()
    meeting = access.load_planned_meeting(db.session(), current_user, meeting_id)
    body: InvitationIn = request.context.json
    warnings = invitations.invite(db.session(), current_user, meeting, body.user_id, body.item_ids,
                                  required=body.required, following=body.following)
    view = access.meeting_view(db.session(), current_user, meeting)
    return jsonify(invitations=_invitations(view), warnings=warnings), 201


@bp.post("/meetings/<int:meeting_id>/answer")
@api_spec.validate(json=AnswerIn, resp=Response(HTTP_200=InvitationList, **WRITE_ERRORS), tags=TAGS)
def answer(meeting_id: int):
    """Answer one's own invitation: geaccepteerd, afgewezen, onder_voorbehoud, or gedelegeerd (to a colleague)."""
    require_login()
    meeting = access.load_meeting_or_404(db.session(), current_user, meeting_id)
    body: AnswerIn = request.context.json
    inv = invitations.answer(db.session(), current_user, meeting, body.response,
                             delegate_to_id=body.delegate_to_id, following=body.following)
    return jsonify(invitations=[_invitation(inv)])


@bp.put("/meetings/<int:meeting_id>/attendance")
@api_spec.validate(json=AttendanceIn, resp=Response(HTTP_200=InvitationList, **WRITE_ERRORS), tags=TAGS)
def attendance(meeting_id: int):
    """Record attendance (coordinator, chair, minute-taker)."""
    require_login()
    meeting = access.load_run_meeting(db.session(), current_user, meeting_id)
    body: AttendanceIn = request.context.json
    invitations.record_attendance(db.session(), current_user, meeting,
                                  {e.invitation_id: e.attendance or "" for e in body.entries})
    return jsonify(invitations=_invitations(access.meeting_view(db.session(), current_user, meeting)))


# ----------------------------------------------------------------------------- updates
def _case_item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = db.session().get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id or item.kind != "casus" \
            or not access.CaseAccess(db.session(), current_user).can_open(item.case_id):
        access.deny(db.session(), current_user, meeting.id, f"agendapunt {item_id} buiten de kring")
        abort(404)
    return item


def _updates_out(meeting: Meeting, item: AgendaItem) -> dict:
    s = db.session()
    rows = [dict(organisation=org, submitted_at=_iso(update.submitted_at), visible=v.decision.visible,
                 content=v.item.content if v.decision.visible else None,
                 basis=v.decision.basis if v.decision.visible else None,
                 withheld_reason=None if v.decision.visible else v.decision.withheld_reason)
            for update, org, v in updates.views_for(s, current_user, item)]
    missing = [r.organisation for r in updates.status(s, meeting, item) if r.submitted_at is None] \
        if access.is_planner(current_user, meeting) else []
    return dict(updates=rows, missing=missing)


@bp.get("/meetings/<int:meeting_id>/items/<int:item_id>/updates")
@api_spec.validate(resp=Response(HTTP_200=UpdateList, **ERRORS), tags=TAGS)
def item_updates(meeting_id: int, item_id: int):
    """The pre-meeting updates of a case item, each through the sharing engine (withheld: the reason only)."""
    require_login()
    meeting = access.load_meeting_or_404(db.session(), current_user, meeting_id)
    return jsonify(_updates_out(meeting, _case_item(meeting, item_id)))


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>/updates")
@api_spec.validate(json=UpdateIn, resp=Response(HTTP_201=UpdateList, **WRITE_ERRORS), tags=TAGS)
def submit_update(meeting_id: int, item_id: int):
    """Write (or rewrite before the deadline) one's organisation's update for a case item."""
    require_login()
    meeting = access.load_meeting_or_404(db.session(), current_user, meeting_id)
    item = _case_item(meeting, item_id)
    updates.submit(db.session(), current_user, meeting, item, request.context.json.content)
    return jsonify(_updates_out(meeting, item)), 201


# ----------------------------------------------------------------------------- free slots
@bp.get("/meetings/free-slots")
@require_permission("meeting.plan")
@api_spec.validate(query=SlotQuery, resp=Response(HTTP_200=SlotList, **WRITE_ERRORS), tags=TAGS)
def free_slots():
    """The first slots in working hours (no Dutch public holidays) when everyone and the room are free."""
    query: SlotQuery = request.context.query
    try:
        user_ids = {int(v) for v in query.user_ids.split(",") if v.strip()}
    except ValueError:
        return error_response(422, "user_ids moet een komma-gescheiden lijst van gebruikers-id's zijn.")
    try:
        after = parse_local(query.after) if query.after else utcnow()
    except ValueError as exc:  # LocalTimeError is a ValueError with a Dutch message
        return error_response(422, str(exc))
    found = slots.free_slots(db.session(), user_ids=user_ids, location=query.location, minutes=query.minutes,
                             after=max(slots.round_up(after), utcnow()))
    return jsonify(slots=[dict(start=_iso(s), end=_iso(e), start_local=_local_iso(s), end_local=_local_iso(e))
                          for s, e in found])
