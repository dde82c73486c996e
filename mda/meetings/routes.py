"""Pages for planning meetings: my meetings (list and week), the meeting page, create, edit, cancel."""

from __future__ import annotations

from contextlib import suppress
from datetime import date, datetime, time, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

import mda.cases.models  # noqa: F401  (loaded before mda.meetings.access: the cases/meetings import circle)
from mda import db
from mda.cases.loaders import case_id_for_reference
from mda.core import clock, confirmations, refusal, signals, workdays
from mda.core.forms import confirm_page
from mda.core.input_guard import form_id
from mda.core.permissions import require_permission
from mda.core.timeutil import (
    LocalTimeError,
    check_date_range,
    local_to_utc,
    to_local,
    utcnow,
)
from mda.meetings import access, agendas, bp, changes, circle_invites, invitations, pages, services
from mda.meetings.agendas import TemplateItem
from mda.meetings.forms import (
    CancelForm,
    MeetingForm,
    references,
)
from mda.meetings.models import Meeting, MeetingSeries
from mda.meetings.services import MeetingData, MeetingError

DEFAULT_DEADLINE_TIME = time(17, 0)


# ----------------------------------------------------------------------------- helpers
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


def offer_valid_time(form, exc) -> bool:
    """After a refused time (the message is already on its field): put the one valid time in the field, or say
    whether the DST choice must be shown."""
    suggestions = getattr(exc, "suggestions", None) or {}
    field = getattr(form, exc.field, None) if exc is not None and exc.field else None
    if len(suggestions) == 1 and field is not None:  # a time that does not exist: offer the valid one
        field.data = to_local(next(iter(suggestions.values()))).time()
        field.raw_data = [field.data.strftime("%H:%M")]
    return "zomertijd" in suggestions


# ----------------------------------------------------------------------------- lists
@bp.route("/")
@require_permission("meeting.attend")
def index():
    """My meetings: coming up (or, with ?eerder=1, the past three months)."""
    past = request.args.get("eerder") == "1"
    rows, page = pages.my_meetings(db.session(), current_user, past=past)
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
    days = pages.week_days(db.session(), current_user, monday)
    return render_template("meetings/week.html", days=days, monday=monday,
                           previous=monday - timedelta(days=7), following=monday + timedelta(days=7),
                           holidays={d: workdays.holiday_name(d) for d in days})


# ----------------------------------------------------------------------------- the meeting page
@bp.route("/<int:meeting_id>")
@login_required
def show(meeting_id: int):
    """The meeting: agenda (filtered per case), answers, attendance and pre-meeting updates."""
    context = pages.meeting_page(db.session(), current_user._get_current_object(), meeting_id)
    return render_template("meetings/show.html", **context)


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
    value = str(value or "")
    if not (value.isdigit() and len(value) <= 10):
        return None
    return next(filter(None, (provider(db.session(), current_user, int(value))
                              for provider in signals.escalation_meeting_invitees)), None)


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
    form.chair_id.choices = form.minute_taker_id.choices = pages.user_choices()
    warnings, free = [], []
    proposal = _escalation_proposal(request.values.get("escalatie") or form.escalation_id.data)
    # the short list, with the cases already picked or named by the page the planner came from
    named = {form_id(v) for v in request.form.getlist("case_ids")} | {form_id(request.values.get("casus"))} \
        | ({proposal[0].case_id} if proposal else set())
    form.case_ids.choices, more_cases = pages.planning_case_choices(named - {0})

    def page(exc=None):
        return render_template("meetings/form.html", form=form, mtype=mtype, meeting=None, warnings=warnings,
                               free=free, show_dst=offer_valid_time(form, exc) or bool(form.dst.data),
                               proposal=proposal, more_cases=more_cases)

    refusal.on_refusal(page, form)
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
        data = form_data(form, type_code)
        # a typed reference names a case like a ticked one: the service decides whether this user may plan it
        # (an unknown one is 0: the service's one message for a case that does not exist or that they may not see)
        data.case_ids = list(dict.fromkeys([*data.case_ids, *(
            case_id_for_reference(db.session(), ref) or 0 for ref in references(form.case_references.data))]))
        services.check_common(db.session(), data)
        warnings, free = pages.conflict_check(form, None, data)
        if not warnings:
            meeting = services.create_meeting(db.session(), current_user, data)
            invited = (circle_invites.invite_all_circles(db.session(), current_user, meeting)
                       if form.invite_circle.data else 0)
            invited += _invite_escalation_people(meeting, proposal)
            flash(f"Het overleg is gepland en {invited} professional(s) uit de kring zijn uitgenodigd, elk voor "
                  "de eigen casus." if invited else "Het overleg is gepland. Nodig nu de professionals uit.",
                  "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return page()


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
    form.chair_id.choices = form.minute_taker_id.choices = pages.user_choices()
    form.case_ids.choices = []
    warnings, free = [], []

    def page(exc=None):
        return render_template("meetings/form.html", form=form, mtype=mtype, meeting=meeting, series=series,
                               warnings=warnings, free=free,
                               show_dst=offer_valid_time(form, exc) or bool(form.dst.data))

    refusal.on_refusal(page, form)
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
        data = form_data(form, meeting.type_code)
        if not series or form.scope.data != "volgende":
            data.frequency, data.until = None, None
        services.check_common(s, data)
        warnings, free = pages.conflict_check(form, meeting, data)
        if not warnings:
            changes.update_meeting(s, current_user, meeting, data, form.scope.data or "deze")
            flash("Het overleg is gewijzigd; de genodigden krijgen een bijgewerkte uitnodiging.", "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return page()


@bp.route("/<int:meeting_id>/annuleren", methods=["GET", "POST"])
@login_required
def cancel(meeting_id: int):
    """Cancel a meeting (or one occurrence, or the rest of the series) after confirmation with a reason;
    invitees get a cancellation."""
    s = db.session()
    meeting = access.load_planned_meeting(s, current_user, meeting_id)
    form = CancelForm()
    if meeting.cancelled:
        flash("Dit overleg is al geannuleerd.", "error")
        return redirect(url_for("meetings.show", meeting_id=meeting.id))

    def page(_exc=None):
        return confirm_page(
            title=f"{agendas.label(meeting.type_code, meeting.title)} annuleren", form=form,
            consequences=["Het overleg gaat niet door; iedere genodigde krijgt een annulering in de agenda.",
                          "Dit is niet terug te draaien: plan zo nodig een nieuw overleg."],
            button="Overleg annuleren", back_url=url_for("meetings.show", meeting_id=meeting.id),
            show_scope=meeting.series_id is not None)

    refusal.on_refusal(page, form)
    if form.validate_on_submit():
        count = changes.cancel_meeting(s, current_user, meeting, form.scope.data or "deze")
        confirmations.record(s, current_user, "overleg_annuleren", "meeting", meeting.id, form.reason.data)
        flash("Het overleg is geannuleerd." if count == 1 else f"{count} bijeenkomsten zijn geannuleerd.",
              "success")
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return page()
