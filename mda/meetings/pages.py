"""What the meeting pages show, gathered once per page: the queries behind the routes of
:mod:`mda.meetings.routes` (which only parse input, call these or a service, and render)."""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta

from flask_login import current_user
from sqlalchemy import bindparam
from sqlmodel import select

from mda import db
from mda.auth.models import User
from mda.cases.models import PHASES, URGENCIES, Case
from mda.core import paging, sharing, signals
from mda.core.forms import ConfirmForm
from mda.core.timeutil import (
    LOCAL_TZ,
    as_utc,
    format_local,
    local_to_utc,
    to_local,
    utcnow,
)
from mda.meetings import access, agendas, circle_invites, invitations, slots, updates
from mda.meetings.forms import (
    ATTENDANCE_CHOICES,
    AddCaseForm,
    AnswerForm,
    AttendanceForm,
    InviteForm,
    MeetingForm,
    UpdateForm,
)
from mda.meetings.models import Invitation, Meeting, MeetingSeries
from mda.meetings.series import Rule
from mda.meetings.services import MeetingData
from mda.organisations import names


# ----------------------------------------------------------------------------- form choices
def user_choices() -> list[tuple[int, str]]:
    """Active professionals, for chair and minute-taker."""
    users = [u for u in db.session().exec(select(User).where(User.active.is_(True)).order_by(User.name))
             if u.roles & set(invitations.WORK_ROLES)]
    return [(0, "— niemand —")] + [(u.id, f"{u.name} ({u.organisation.name})") for u in users]


def planning_case_choices(include: set[int] = frozenset()) -> tuple[list[tuple[int, str]], bool]:
    """The open cases a planner picks from: the most urgent and newest (:data:`AGENDA_PICKS`), and those of
    *include* (already picked, or named by the page the planner came from) that the user may open; and whether
    they have more (typed by reference)."""
    choices, more = agenda_case_choices(set())
    extra = set(include) - {case_id for case_id, _label in choices}
    if extra:
        params = sharing.visible_cases_params(current_user) | {"ids": sorted(extra)}
        choices += [(case_id, _case_label(reference, phase, urgency)) for case_id, reference, phase, urgency
                    in _connection().execute(_included_cases_statement(_leads()), params)]
    return choices, more


#: how many open cases "add a case to the agenda" offers to pick (the most urgent, then the newest); any other is
#: typed by its reference: a coordinator has hundreds, and a list of them all helps nobody find one
AGENDA_PICKS = 15


def agenda_case_choices(exclude: set[int]) -> tuple[list[tuple[int, str]], bool]:
    """The most urgent and newest of the user's open cases not in *exclude* (:data:`AGENDA_PICKS` at most), and
    whether they have more."""
    params = sharing.visible_cases_params(current_user) | {"limit": AGENDA_PICKS + len(exclude) + 1}
    rows = [row for row in _connection().execute(sharing.visible_open_cases_statement(_leads()), params)
            if row[0] not in exclude]
    return ([(case_id, _case_label(reference, phase, urgency)) for case_id, reference, phase, urgency
             in rows[:AGENDA_PICKS]], len(rows) > AGENDA_PICKS)


def _leads() -> bool:
    return bool(sharing.LEAD_ROLES & current_user.roles)


def _connection():
    """The unit of work's connection, flushed first as the ORM would: plain rows, as the ORM's row processing cost
    more than the query."""
    s = db.session()
    s.flush()
    return s.connection()


def _case_label(reference: str, phase: str, urgency: str) -> str:
    """"MDA-2026-0042 (Triage)", or with "urgentie hoog" or "urgentie acuut"."""
    shown = PHASES.get(phase, phase)
    return f"{reference} ({shown}, urgentie {URGENCIES.get(urgency, urgency).lower()})" if urgency != "normaal" \
        else f"{reference} ({shown})"


@functools.cache
def _included_cases_statement(lead: bool):
    """The open cases of :func:`mda.core.sharing.visible_cases_statement` among ``ids``, as plain columns, by
    reference, built once per process."""
    return (sharing.visible_cases_statement(lead)
            .where(Case.closed_at.is_(None), Case.id.in_(bindparam("ids", expanding=True))).order_by(Case.reference)
            .with_only_columns(Case.id, Case.reference, Case.phase, Case.urgency))


# ----------------------------------------------------------------------------- lists
def my_meetings(s, user, *, past: bool):
    """My meetings (coming, or the past three months), one page of rows for the list."""
    now = utcnow()
    query = access.visible_meetings_query(user)
    if past:
        query = query.where(access.held(now), Meeting.ends_at >= now - timedelta(days=90)) \
            .order_by(Meeting.starts_at.desc())
    else:
        query = query.where(access.coming(now)).order_by(Meeting.starts_at)
    page = paging.paginate(s, query.order_by(Meeting.id), *paging.page_args())
    ids = [m.id for m in page.items]
    mine = {i.meeting_id: i for i in s.exec(select(Invitation).where(
        Invitation.meeting_id.in_(ids), Invitation.user_id == user.id, Invitation.withdrawn_at.is_(None)))}
    answers = invitations.answers_overviews(s, ids)
    rows = [{"meeting": meeting, "label": agendas.label(meeting.type_code, meeting.title),
             "invitation": mine.get(meeting.id), "planner": access.is_planner(user, meeting),
             "answers": answers[meeting.id]} for meeting in page.items]
    return rows, page


def week_days(s, user, monday: date):
    """The week from *monday*: each day's meetings and case items of *user*."""
    start = datetime.combine(monday, time(0), tzinfo=LOCAL_TZ)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=LOCAL_TZ)
    query = access.visible_meetings_query(user).where(Meeting.starts_at < end, Meeting.ends_at > start,
                                                      Meeting.status == "gepland").order_by(Meeting.starts_at)
    days = {monday + timedelta(days=n): [] for n in range(7)}
    cases = access.CaseAccess(s, user)
    for meeting in s.exec(query):
        view = access.meeting_view(s, user, meeting, cases)
        if view.invitation is None or view.invitation.whole_meeting or view.planner:
            entries = [(meeting.starts_at, meeting.ends_at, agendas.label(meeting.type_code, meeting.title))]
        else:
            entries = [(i.item.starts_at, i.item.ends_at, f"{agendas.type_name(meeting.type_code)}: {i.label}")
                       for i in view.items if i.item.id in view.my_item_ids]
        for starts, ends, label in entries:
            days.setdefault(to_local(starts).date(), []).append({"start": starts, "end": ends, "label": label,
                                                                 "meeting": meeting})
    return days


# ----------------------------------------------------------------------------- the meeting page
def meeting_page(s, user, meeting_id: int):
    """Everything the meeting page shows (404 for who may not see it)."""
    cases = access.CaseAccess(s, user)
    view = access.load_meeting_view_or_404(s, user, meeting_id, cases, with_invitations=True)
    meeting = view.meeting
    series = s.get(MeetingSeries, meeting.series_id) if meeting.series_id else None
    context = {"view": view, "meeting": meeting, "series": series, "type": agendas.type_name(meeting.type_code),
               "label": agendas.label(meeting.type_code, meeting.title),
               "rule": Rule.starting(series.frequency, to_local(series.first_start)).describe() if series else "",
               "deadline": updates.deadline_of(meeting), "now": utcnow(), "confirm": ConfirmForm()}
    # the invitations, read once for the invitation table and the updates' writers (coordinator, chair, minutes)
    invited = (view.open_invitations or access.open_invitations(s, meeting)) if view.runner else None
    item_updates = updates.page_updates(s, user, meeting,
                                        [iv.item for iv in view.items if iv.case_visible], cases.contexts,
                                        with_status=view.planner, invited=invited)
    context["item_updates"] = {item_id: vars(u) for item_id, u in item_updates.items()}
    # the higher rooms' parts (live panel, open plan actions), from what was read above: templates only render
    for _receiver, extra in signals.meeting_page.send(meeting, db=s, user=user,
                                                      view=view, cases=cases, item_updates=item_updates):
        context.update(extra or {})
    context["update_form"] = UpdateForm()
    if view.invitation is not None and view.invitation.response != "gedelegeerd":
        # a series is answered once (the box is ticked); an exception is one occurrence with the box cleared
        form = AnswerForm(response=view.invitation.response if view.invitation.response != "open" else None,
                          following=series is not None)
        if view.invitation.role != "deelnemer":  # chair and minute-taker do not delegate
            form.response.choices = [c for c in form.response.choices if c[0] != "gedelegeerd"]
        listed = invitations.colleagues(s, user, limit=invitations.COLLEAGUE_LIST_LIMIT)
        # a large organisation is not listed whole on every meeting page: its colleague is named by address
        context["delegate_by_email"] = len(listed) > invitations.COLLEAGUE_LIST_LIMIT
        form.delegate_to_id.choices = [(0, "— kies een collega —")] + [(u.id, u.name) for u in listed]
        context["answer_form"] = form
    if view.planner:
        context.update(planner_context(meeting, view, cases.contexts, invited))
    if view.runner:
        if "invitation_rows" not in context:  # the planner's context has them (setdefault would build them again)
            context["invitation_rows"] = invitation_rows(view, invited)
        if as_utc(meeting.starts_at) - invitations.ATTENDANCE_LEAD <= utcnow():  # recorded at the meeting
            context["attendance_form"] = AttendanceForm()
            context["attendance_choices"] = ATTENDANCE_CHOICES
    return context


def invitation_rows(view: access.MeetingView, invited: access.OpenInvitations) -> list[dict]:
    labels = {iv.item.id: iv.label for iv in view.items}
    rows = []
    people = invited.people
    for inv in invited.invitations:
        user, organisation = people[inv.user_id]
        items = [labels.get(item_id, "") for item_id in invited.items.get(inv.id, [])]
        rows.append({"inv": inv, "user": user, "organisation": organisation,
                     "scope": "hele overleg" if inv.whole_meeting else ", ".join(items),
                     "delegate": people[inv.delegated_to_id][0].name if inv.delegated_to_id in people else ""})
    return rows


def planner_context(meeting: Meeting, view: access.MeetingView, contexts: dict,
                     invited: access.OpenInvitations) -> dict:
    s = db.session()
    invite = InviteForm()
    case_items = [iv for iv in view.items if iv.item.kind == "casus"]
    candidates = {u.id: u for users in invitations.invitable_by_item(
        s, meeting, [iv.item for iv in case_items], contexts).values() for u in users}
    # a candidate opens a case of the agenda, so their organisation is one of its contexts' (circle, coordinator's)
    org_names = {org_id: name for ctx in contexts.values() for org_id, name in ctx.org_names.items()}
    unnamed = {u.organisation_id for u in candidates.values()} - org_names.keys()
    if unnamed:
        org_names.update(names.organisation_names(s, unnamed))
    invite.user_id.choices = [(u.id, f"{u.name} ({org_names.get(u.organisation_id, '')})")
                              for u in sorted(candidates.values(), key=lambda u: u.name)]
    invite.item_ids.choices = [(iv.item.id, iv.label) for iv in case_items]
    add_case = AddCaseForm()
    add_case.case_id.choices, more_cases = [], False
    mtype = agendas.all_types().get(meeting.type_code)
    free_minutes = int((as_utc(meeting.ends_at) - as_utc(meeting.starts_at)).total_seconds() // 60) \
        - sum(iv.item.minutes for iv in view.items)  # the agenda as the view read it
    # offered only where "Op de agenda zetten" could succeed, with a case to pick
    if mtype is not None and mtype.cases != "geen" and len(case_items) < mtype.max_cases and free_minutes > 0:
        picks, more_cases = agenda_case_choices({iv.item.case_id for iv in case_items})
        add_case.case_id.choices = [(0, "— kies een casus —"), *picks] if picks else []
    # the circles' named professionals are among the candidates read above (with their invitations): not read again
    plans = circle_invites.circle_plans(s, meeting, [iv.item for iv in case_items if iv.case_visible], contexts,
                                        users=candidates, invited=invited)
    rows = invitation_rows(view, invited)
    return {"invite_form": invite, "add_case_form": add_case, "more_cases": more_cases, "circle_plans": plans,
            "answers": invitations.answers_of([r["inv"] for r in rows]), "invitation_rows": rows}


# ----------------------------------------------------------------------------- conflicts
def required_participants(meeting: Meeting | None, data: MeetingData) -> set[int]:
    """Chair, minute-taker and (when editing) every required invitee."""
    ids = {i for i in (data.chair_id, data.minute_taker_id) if i}
    if meeting is not None:
        ids |= set(db.session().exec(select(Invitation.user_id).where(
            Invitation.meeting_id == meeting.id, Invitation.withdrawn_at.is_(None), Invitation.required.is_(True),
            Invitation.response.not_in(("afgewezen", "gedelegeerd")))))
    return ids


def conflict_check(form: MeetingForm, meeting: Meeting | None, data: MeetingData):
    """Warnings and free slots, or ([], []) when there is nothing to warn about or it was confirmed."""
    exclude = {meeting.id} if meeting else set()
    people = required_participants(meeting, data)
    warnings = slots.conflicts(db.session(), user_ids=people, location=data.location, start=data.starts_at,
                               end=data.ends_at, exclude=exclude)
    moved = meeting is None or as_utc(meeting.starts_at) != as_utc(data.starts_at)
    if moved and as_utc(data.starts_at) < utcnow():
        warnings.insert(0, f"Het overleg begint op {format_local(data.starts_at)}: dat ligt in het verleden. "
                           "Klopt de datum? Wilt u een overleg achteraf vastleggen, vink dan aan dat u de "
                           "waarschuwingen heeft gezien.")
    if not warnings or form.confirm_conflicts.data:
        return [], []
    minutes = int((as_utc(data.ends_at) - as_utc(data.starts_at)).total_seconds() // 60)
    free = slots.free_slots(db.session(), user_ids=people, location=data.location, minutes=minutes,
                            after=max(slots.round_up(utcnow()), local_to_utc(to_local(data.starts_at).date(), time(0))),
                            exclude=exclude)
    return warnings, free
