"""Pages for planning meetings: my meetings (list and week), the meeting page, create, edit, cancel."""

from __future__ import annotations

from contextlib import suppress
from datetime import date, datetime, time, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlmodel import select

from mda import db
from mda.auth.models import User
from mda.cases.models import PHASES, Case
from mda.core import clock, confirmations, paging, sharing, signals, workdays
from mda.core.errors import ServiceError
from mda.core.forms import ConfirmForm, confirm_page
from mda.core.permissions import require_permission
from mda.core.timeutil import (
    LOCAL_TZ,
    LocalTimeError,
    as_utc,
    check_date_range,
    format_local,
    local_to_utc,
    to_local,
    utcnow,
)
from mda.meetings import access, agendas, bp, changes, circle_invites, invitations, services, slots, updates
from mda.meetings.agendas import TemplateItem
from mda.meetings.forms import (
    ATTENDANCE_CHOICES,
    AddCaseForm,
    AnswerForm,
    AttendanceForm,
    CancelForm,
    InviteForm,
    MeetingForm,
    UpdateForm,
)
from mda.meetings.models import Invitation, Meeting, MeetingSeries
from mda.meetings.series import Rule
from mda.meetings.services import MeetingData, MeetingError
from mda.organisations.models import Organisation

DEFAULT_DEADLINE_TIME = time(17, 0)


# ----------------------------------------------------------------------------- helpers
def user_choices() -> list[tuple[int, str]]:
    """Active professionals, for chair and minute-taker."""
    users = [u for u in db.session().exec(select(User).where(User.active.is_(True)).order_by(User.name))
             if u.roles & set(invitations.WORK_ROLES)]
    return [(0, "— niemand —")] + [(u.id, f"{u.name} ({u.organisation.name})") for u in users]


def case_choices(exclude: set[int] = frozenset()) -> list[tuple[int, str]]:
    """Open cases the coordinator can open (the reference only: pseudonymous)."""
    query = sharing.visible_cases_query(current_user).where(Case.closed_at.is_(None)).order_by(Case.reference)
    # plain columns, not a Case object each: a coordinator has hundreds of open cases
    rows = db.session().execute(query.with_only_columns(Case.id, Case.reference, Case.phase))
    return [(case_id, f"{reference} ({PHASES.get(phase, phase)})") for case_id, reference, phase in rows
            if case_id not in exclude]


def _fill_agenda(form: MeetingForm, items: list[TemplateItem]) -> None:
    while form.agenda.entries:
        form.agenda.pop_entry()
    for item in items:
        form.agenda.append_entry({"title": item.title, "minutes": item.minutes or None,
                                  "cases": "1" if item.cases else ""})
    for _ in range(2):
        form.agenda.append_entry({"title": "", "minutes": None, "cases": ""})


def form_data(form: MeetingForm, type_code: str) -> MeetingData:
    """The form's input as service data; local times become UTC (refusing impossible ones)."""
    try:
        starts = local_to_utc(form.day.data, form.start_time.data, dst=form.dst.data or None)
    except LocalTimeError as exc:
        raise MeetingError(f"Begintijd: {exc}", "start_time", exc.suggestions) from None
    try:
        ends = local_to_utc(form.day.data, form.end_time.data, dst=form.dst.data or None)
    except LocalTimeError as exc:
        raise MeetingError(f"Eindtijd: {exc}", "end_time", exc.suggestions) from None
    deadline = None
    if form.deadline_day.data:
        try:
            deadline = local_to_utc(form.deadline_day.data, form.deadline_time.data or DEFAULT_DEADLINE_TIME,
                                    dst="zomertijd")
        except LocalTimeError as exc:
            raise MeetingError(f"Termijn voor updates: {exc}", "deadline_time") from None
    agenda = [TemplateItem((row.title.data or "").strip(), row.minutes.data or 0, row.cases.data == "1")
              for row in form.agenda]
    return MeetingData(type_code=type_code, title=form.title.data or "", starts_at=starts, ends_at=ends,
                       location=form.location.data or "", online_link=form.online_link.data or "",
                       chair_id=form.chair_id.data or None, minute_taker_id=form.minute_taker_id.data or None,
                       update_deadline=deadline, case_ids=list(form.case_ids.data or []),
                       case_minutes=form.case_minutes.data, agenda=agenda,
                       frequency=form.frequency.data or None, until=form.until.data)


def show_error(form, exc: MeetingError) -> bool:
    """Attach a service error to its field (or flash it); returns whether the DST choice must be shown."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, str(exc)]
    else:
        flash(str(exc), "error")
    if len(exc.suggestions) == 1 and field is not None:  # a time that does not exist: offer the valid one
        field.data = to_local(next(iter(exc.suggestions.values()))).time()
        field.raw_data = [field.data.strftime("%H:%M")]
    return "zomertijd" in exc.suggestions


def required_participants(meeting: Meeting | None, data: MeetingData) -> set[int]:
    """Chair, minute-taker and (when editing) every required invitee."""
    ids = {i for i in (data.chair_id, data.minute_taker_id) if i}
    if meeting is not None:
        ids |= set(db.session().exec(select(Invitation.user_id).where(
            Invitation.meeting_id == meeting.id, Invitation.withdrawn_at.is_(None), Invitation.required.is_(True),
            Invitation.response.not_in(("afgewezen", "gedelegeerd")))))
    return ids


def _conflict_check(form: MeetingForm, meeting: Meeting | None, data: MeetingData):
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


# ----------------------------------------------------------------------------- lists
@bp.route("/")
@require_permission("meeting.attend")
def index():
    """My meetings: coming up (or, with ?eerder=1, the past three months)."""
    past = request.args.get("eerder") == "1"
    now = utcnow()
    query = access.visible_meetings_query(current_user)
    if past:
        query = query.where(access.held(now), Meeting.ends_at >= now - timedelta(days=90)) \
            .order_by(Meeting.starts_at.desc())
    else:
        query = query.where(access.coming(now)).order_by(Meeting.starts_at)
    s = db.session()
    page = paging.paginate(s, query.order_by(Meeting.id), *paging.page_args())
    ids = [m.id for m in page.items]
    mine = {i.meeting_id: i for i in s.exec(select(Invitation).where(
        Invitation.meeting_id.in_(ids), Invitation.user_id == current_user.id, Invitation.withdrawn_at.is_(None)))}
    answers = invitations.answers_overviews(s, ids)
    rows = [{"meeting": meeting, "label": agendas.label(meeting.type_code, meeting.title),
             "invitation": mine.get(meeting.id), "planner": access.is_planner(current_user, meeting),
             "answers": answers[meeting.id]} for meeting in page.items]
    return render_template("meetings/index.html", rows=rows, page=page, past=past, types=agendas.all_types())


@bp.route("/week")
@require_permission("meeting.attend")
def week():
    """The week view: my meetings and my case items, Monday to Sunday."""
    try:
        day = date.fromisoformat(request.args.get("datum", "")) if request.args.get("datum") else None
        if day is not None:
            check_date_range(day)
    except ValueError:
        flash("Die datum kan MDA++ niet tonen (gebruik JJJJ-MM-DD, tussen 1900 en 2199); "
              "u ziet de huidige week.", "warning")
        day = None
    day = day or to_local(utcnow()).date()
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(0), tzinfo=LOCAL_TZ)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=LOCAL_TZ)
    query = access.visible_meetings_query(current_user).where(Meeting.starts_at < end, Meeting.ends_at > start,
                                                              Meeting.status == "gepland").order_by(Meeting.starts_at)
    days = {monday + timedelta(days=n): [] for n in range(7)}
    cases = access.CaseAccess(db.session(), current_user)
    for meeting in db.session().exec(query):
        view = access.meeting_view(db.session(), current_user, meeting, cases)
        if view.invitation is None or view.invitation.whole_meeting or view.planner:
            entries = [(meeting.starts_at, meeting.ends_at, agendas.label(meeting.type_code, meeting.title))]
        else:
            entries = [(i.item.starts_at, i.item.ends_at, f"{agendas.type_name(meeting.type_code)}: {i.label}")
                       for i in view.items if i.item.id in view.my_item_ids]
        for s, e, label in entries:
            days.setdefault(to_local(s).date(), []).append({"start": s, "end": e, "label": label,
                                                            "meeting": meeting})
    return render_template("meetings/week.html", days=days, monday=monday,
                           previous=monday - timedelta(days=7), following=monday + timedelta(days=7),
                           holidays={d: workdays.holiday_name(d) for d in days})


# ----------------------------------------------------------------------------- the meeting page
@bp.route("/<int:meeting_id>")
@login_required
def show(meeting_id: int):
    """The meeting: agenda (filtered per case), answers, attendance and pre-meeting updates."""
    s = db.session()
    cases = access.CaseAccess(s, current_user)
    view = access.load_meeting_view_or_404(s, current_user, meeting_id, cases)
    meeting = view.meeting
    series = s.get(MeetingSeries, meeting.series_id) if meeting.series_id else None
    context = {"view": view, "meeting": meeting, "series": series, "type": agendas.type_name(meeting.type_code),
               "label": agendas.label(meeting.type_code, meeting.title),
               "rule": Rule.starting(series.frequency, to_local(series.first_start)).describe() if series else "",
               "deadline": updates.deadline_of(meeting), "now": utcnow(), "confirm": ConfirmForm()}
    # the invitations, read once for the invitation table and the updates' writers (coordinator, chair, minutes)
    invited = access.open_invitations(s, meeting) if view.runner else None
    item_updates = updates.page_updates(s, current_user, meeting,
                                        [iv.item for iv in view.items if iv.case_visible], cases.contexts,
                                        with_status=view.planner, invited=invited)
    context["item_updates"] = {item_id: vars(u) for item_id, u in item_updates.items()}
    # the higher rooms' parts (live panel, open plan actions), from what was read above: templates only render
    for _receiver, extra in signals.meeting_page.send(meeting, db=s, user=current_user._get_current_object(),
                                                      view=view, cases=cases, item_updates=item_updates):
        context.update(extra or {})
    context["update_form"] = UpdateForm()
    if view.invitation is not None and view.invitation.response != "gedelegeerd":
        # a series is answered once (the box is ticked); an exception is one occurrence with the box cleared
        form = AnswerForm(response=view.invitation.response if view.invitation.response != "open" else None,
                          following=series is not None)
        if view.invitation.role != "deelnemer":  # chair and minute-taker do not delegate
            form.response.choices = [c for c in form.response.choices if c[0] != "gedelegeerd"]
        listed = invitations.colleagues(s, current_user, limit=invitations.COLLEAGUE_LIST_LIMIT)
        # a large organisation is not listed whole on every meeting page: its colleague is named by address
        context["delegate_by_email"] = len(listed) > invitations.COLLEAGUE_LIST_LIMIT
        form.delegate_to_id.choices = [(0, "— kies een collega —")] + [(u.id, u.name) for u in listed]
        context["answer_form"] = form
    if view.planner:
        context.update(_planner_context(meeting, view, cases.contexts, invited))
    if view.runner:
        if "invitation_rows" not in context:  # the planner's context has them (setdefault would build them again)
            context["invitation_rows"] = _invitation_rows(view, invited)
        if as_utc(meeting.starts_at) - invitations.ATTENDANCE_LEAD <= utcnow():  # recorded at the meeting
            context["attendance_form"] = AttendanceForm()
            context["attendance_choices"] = ATTENDANCE_CHOICES
    return render_template("meetings/show.html", **context)


def _invitation_rows(view: access.MeetingView, invited: access.OpenInvitations) -> list[dict]:
    labels = {iv.item.id: iv.label for iv in view.items}
    rows = []
    people = invited.people
    for inv in invited.invitations:
        user, org = people[inv.user_id]
        items = [labels.get(item_id, "") for item_id in invited.items.get(inv.id, [])]
        rows.append({"inv": inv, "user": user, "organisation": org.name,
                     "scope": "hele overleg" if inv.whole_meeting else ", ".join(items),
                     "delegate": people[inv.delegated_to_id][0].name if inv.delegated_to_id in people else ""})
    return rows


def _planner_context(meeting: Meeting, view: access.MeetingView, contexts: dict,
                     invited: access.OpenInvitations) -> dict:
    s = db.session()
    invite = InviteForm()
    case_items = [iv for iv in view.items if iv.item.kind == "casus"]
    candidates = {u.id: u for users in invitations.invitable_by_item(
        s, meeting, [iv.item for iv in case_items], contexts).values() for u in users}
    org_names = dict(s.exec(select(Organisation.id, Organisation.name).where(
        Organisation.id.in_({u.organisation_id for u in candidates.values()}))).all())
    invite.user_id.choices = [(u.id, f"{u.name} ({org_names.get(u.organisation_id, '')})")
                              for u in sorted(candidates.values(), key=lambda u: u.name)]
    invite.item_ids.choices = [(iv.item.id, iv.label) for iv in case_items]
    add_case = AddCaseForm()
    add_case.case_id.choices = case_choices(exclude={iv.item.case_id for iv in case_items})
    mtype = agendas.all_types().get(meeting.type_code)
    free_minutes = int((as_utc(meeting.ends_at) - as_utc(meeting.starts_at)).total_seconds() // 60) \
        - sum(iv.item.minutes for iv in view.items)  # the agenda as the view read it
    if mtype is None or mtype.cases == "geen" or len(case_items) >= mtype.max_cases or free_minutes <= 0:
        add_case.case_id.choices = []  # "Op de agenda zetten" could only fail: not offered
    plans = circle_invites.circle_plans(s, meeting, [iv.item for iv in case_items if iv.case_visible], contexts)
    rows = _invitation_rows(view, invited)
    return {"invite_form": invite, "add_case_form": add_case, "circle_plans": plans,
            "answers": invitations.answers_of([r["inv"] for r in rows]), "invitation_rows": rows}


# ----------------------------------------------------------------------------- create and edit
def _prefill_from_plan(form: MeetingForm) -> None:
    """A safety plan's next evaluation proposes a meeting: ``?datum=JJJJ-MM-DD&casus=<id>`` fill the form."""
    with suppress(ValueError):  # no or a malformed date: the form's default stays
        form.day.data = date.fromisoformat(request.args.get("datum", ""))
    case_id = request.args.get("casus", "")
    if case_id.isdigit() and int(case_id) in {value for value, _label in form.case_ids.choices}:
        form.case_ids.data = [int(case_id)]


def _escalation_proposal(value):
    """``?escalatie=<id>``: the open escalation the meeting is planned for and whom to invite, or None."""
    from mda.escalations.services import meeting_invitees

    value = str(value or "")
    return meeting_invitees(db.session(), current_user, int(value)) if value.isdigit() and len(value) <= 10 \
        else None


def _invite_escalation_people(meeting: Meeting, proposal) -> int:
    """Invite the escalation's deciders and parties for its case on the agenda; returns how many were invited.
    Someone who cannot be invited (e.g. not in the case's circle) is named in a message, nothing else fails."""
    if not proposal:
        return 0
    esc, people = proposal
    items = [i.id for i in circle_invites.case_items(db.session(), meeting) if i.case_id == esc.case_id]
    if not items:
        return 0
    done = 0
    for person in people:
        if person.id == current_user.id:
            continue
        try:  # refused before anything is written (not in the circle, already invited)
            invitations.invite(db.session(), current_user, meeting, person.id, items)
            done += 1
        except MeetingError as exc:
            flash(str(exc), "warning")
    return done


@bp.route("/nieuw", methods=["GET", "POST"])
@require_permission("meeting.plan")
def create():
    """Plan a meeting (or a series) with the standard agenda of its type pre-filled."""
    types = agendas.all_types()
    type_code = request.values.get("type") or request.form.get("type_code")
    from_case = request.values.get("casus", type=int)
    if type_code not in types:
        return render_template("meetings/choose_type.html", types=types, from_case=from_case)
    mtype = types[type_code]
    form = MeetingForm()
    form.chair_id.choices = form.minute_taker_id.choices = user_choices()
    form.case_ids.choices = case_choices()
    warnings, free, show_dst = [], [], False
    proposal = _escalation_proposal(request.values.get("escalatie") or form.escalation_id.data)
    if request.method == "GET":
        form.type_code.data, form.title.data, form.case_minutes.data = type_code, mtype.name, mtype.case_minutes
        form.chair_id.data = current_user.id
        _prefill_from_plan(form)
        if proposal and proposal[0].case_id in {c for c, _ in form.case_ids.choices}:
            form.escalation_id.data, form.case_ids.data = proposal[0].id, [proposal[0].case_id]
            form.title.data = f"{mtype.name} {proposal[0].reference}"
        form.start_time.data, form.end_time.data = time(10, 0), (datetime.combine(clock.today(), time(10, 0))
                                                                 + timedelta(minutes=mtype.minutes)).time()
        _fill_agenda(form, list(mtype.items))
        if from_case and from_case in {c for c, _ in form.case_ids.choices}:
            form.case_ids.data, form.invite_circle.data = [from_case], True
            if not request.args.get("datum"):  # a plan's evaluation date wins over "the next working day"
                form.day.data = workdays.next_working_day(to_local(utcnow()).date())
    elif form.validate_on_submit():
        try:
            data = form_data(form, type_code)
            services.check_common(db.session(), data)
            warnings, free = _conflict_check(form, None, data)
            if not warnings:
                meeting = services.create_meeting(db.session(), current_user, data)
                invited = (circle_invites.invite_all_circles(db.session(), current_user, meeting)
                           if form.invite_circle.data else 0)
                invited += _invite_escalation_people(meeting, proposal)
                flash(f"Het overleg is gepland en {invited} professional(s) uit de kring zijn uitgenodigd, elk voor "
                      "de eigen casus." if invited else "Het overleg is gepland. Nodig nu de professionals uit.",
                      "success")
                return redirect(url_for("meetings.show", meeting_id=meeting.id))
        except MeetingError as exc:
            db.rollback()
            show_dst = show_error(form, exc)
    return render_template("meetings/form.html", form=form, mtype=mtype, meeting=None, warnings=warnings, free=free,
                           show_dst=show_dst or bool(form.dst.data), proposal=proposal)


@bp.route("/<int:meeting_id>/bewerken", methods=["GET", "POST"])
@login_required
def edit(meeting_id: int):
    """Change a meeting; for an occurrence of a series: this one, or this and all following."""
    s = db.session()
    meeting = access.load_planned_meeting(s, current_user, meeting_id)
    if meeting.cancelled:
        flash("Dit overleg is geannuleerd en kan niet meer worden gewijzigd.", "error")
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    mtype = services.meeting_type_or_error(meeting.type_code)
    series = s.get(MeetingSeries, meeting.series_id) if meeting.series_id else None
    form = MeetingForm()
    form.chair_id.choices = form.minute_taker_id.choices = user_choices()
    form.case_ids.choices = []
    warnings, free, show_dst = [], [], False
    if request.method == "GET":
        local_start, local_end = to_local(meeting.starts_at), to_local(meeting.ends_at)
        form.process(obj=None, data={
            "type_code": meeting.type_code, "title": meeting.title, "day": local_start.date(),
            "start_time": local_start.time(), "end_time": local_end.time(), "location": meeting.location,
            "online_link": meeting.online_link, "chair_id": meeting.chair_id or 0,
            "minute_taker_id": meeting.minute_taker_id or 0, "scope": "deze",
            "frequency": series.frequency if series else "", "until": series.until if series else None,
            "deadline_day": to_local(meeting.update_deadline).date() if meeting.update_deadline else None,
            "deadline_time": to_local(meeting.update_deadline).time() if meeting.update_deadline else None})
        items = [TemplateItem(i.title, i.minutes, i.kind == "casussen") for i in access.agenda_items(s, meeting)
                 if i.kind != "casus"]
        _fill_agenda(form, items)
    elif form.validate_on_submit():
        try:
            data = form_data(form, meeting.type_code)
            if not series or form.scope.data != "volgende":
                data.frequency, data.until = None, None
            services.check_common(s, data)
            warnings, free = _conflict_check(form, meeting, data)
            if not warnings:
                changes.update_meeting(s, current_user, meeting, data, form.scope.data or "deze")
                flash("Het overleg is gewijzigd; de genodigden krijgen een bijgewerkte uitnodiging.", "success")
                return redirect(url_for("meetings.show", meeting_id=meeting.id))
        except MeetingError as exc:
            db.rollback()
            show_dst = show_error(form, exc)
    return render_template("meetings/form.html", form=form, mtype=mtype, meeting=meeting, series=series,
                           warnings=warnings, free=free, show_dst=show_dst or bool(form.dst.data))


@bp.route("/<int:meeting_id>/annuleren", methods=["GET", "POST"])
@login_required
def cancel(meeting_id: int):
    """Cancel a meeting (or one occurrence, or the rest of the series) after confirmation with a reason;
    invitees get a cancellation."""
    s = db.session()
    meeting = access.load_planned_meeting(s, current_user, meeting_id)
    form, error = CancelForm(), None
    if meeting.cancelled:
        flash("Dit overleg is al geannuleerd.", "error")
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    if form.validate_on_submit():
        try:
            count = changes.cancel_meeting(s, current_user, meeting, form.scope.data or "deze")
            confirmations.record(s, current_user, "overleg_annuleren", "meeting", meeting.id, form.reason.data)
        except (MeetingError, ServiceError) as exc:
            db.rollback()
            error = str(exc)
        else:
            flash("Het overleg is geannuleerd." if count == 1 else f"{count} bijeenkomsten zijn geannuleerd.",
                  "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return confirm_page(
        title=f"{agendas.label(meeting.type_code, meeting.title)} annuleren", form=form, error=error,
        consequences=["Het overleg gaat niet door; iedere genodigde krijgt een annulering in de agenda.",
                      "Dit is niet terug te draaien: plan zo nodig een nieuw overleg."],
        button="Overleg annuleren", back_url=url_for("meetings.show", meeting_id=meeting.id),
        show_scope=meeting.series_id is not None)
