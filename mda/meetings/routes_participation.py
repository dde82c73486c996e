"""Taking part: invitations, answers, attendance, case items on the agenda and pre-meeting updates."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from mda import db
from mda.cases.loaders import case_id_for_reference
from mda.core import confirmations, refusal
from mda.core.forms import ConfirmForm, ReasonConfirmForm, confirm_page
from mda.core.input_guard import form_id
from mda.meetings import access, bp, invitations, services, updates
from mda.meetings.forms import AddCaseForm, AnswerForm, AttendanceForm, InviteForm, UpdateForm
from mda.meetings.models import AgendaItem


def _back(meeting_id: int, anchor: str = ""):
    return redirect(url_for("meetings.show", meeting_id=meeting_id) + (f"#{anchor}" if anchor else ""))


def _case_item_or_404(meeting_id: int, item_id: int) -> AgendaItem:
    item = db.session().get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting_id or item.kind != "casus":
        abort(404)
    return item


@bp.route("/<int:meeting_id>/uitnodigen", methods=["POST"])
@login_required
def invite(meeting_id: int):
    """Invite a professional of the case circle (whole meeting or some case items)."""
    meeting = access.load_planned_meeting(db.session(), current_user, meeting_id)
    form = InviteForm()
    form.user_id.choices = [(form_id(request.form.get("user_id")), "")]
    form.item_ids.choices = [(form_id(v), "") for v in request.form.getlist("item_ids") if form_id(v)]
    if not form.validate_on_submit():
        flash("Kies wie u uitnodigt.", "error")
        return _back(meeting_id, "uitnodigen")
    refusal.on_refusal(lambda exc: _back(meeting_id, "uitnodigen"))
    warnings = invitations.invite(db.session(), current_user, meeting, form.user_id.data, form.item_ids.data or [],
                                  required=form.required.data, following=form.following.data)
    flash("De uitnodiging is verstuurd.", "success")
    for warning in warnings:
        flash(f"Let op: {warning}", "warning")
    return _back(meeting_id, "antwoorden")


@bp.route("/<int:meeting_id>/antwoord", methods=["POST"])
@login_required
def answer(meeting_id: int):
    """Answer one's own invitation: comes, does not come, tentative, or delegate to a colleague."""
    meeting = access.load_meeting_or_404(db.session(), current_user, meeting_id)
    form = AnswerForm()
    # the service decides who is a valid colleague (and says why not)
    submitted = request.form.get("delegate_to_id", "0")
    form.delegate_to_id.choices = [(0, ""), (form_id(submitted), "")]
    if not form.validate_on_submit():
        flash("Kies een antwoord (en bij delegeren een collega).", "error")
        return _back(meeting_id, "antwoord")
    delegate_to_id = form.delegate_to_id.data or None
    if form.delegate_email.data and form.delegate_email.data.strip():
        delegate_to_id = invitations.colleague_by_email(db.session(), current_user, form.delegate_email.data)
        if delegate_to_id is None:
            flash("Er is geen actieve collega van uw organisatie met dit e-mailadres. Controleer het adres.",
                  "error")
            return _back(meeting_id, "antwoord")
    refusal.on_refusal(lambda exc: _back(meeting_id, "antwoord"))
    invitations.answer(db.session(), current_user, meeting, form.response.data,
                       delegate_to_id=delegate_to_id, following=form.following.data)
    flash("Uw antwoord is opgeslagen.", "success")
    return _back(meeting_id, "antwoord")


@bp.route("/<int:meeting_id>/aanwezigheid", methods=["POST"])
@login_required
def attendance(meeting_id: int):
    """Record who was present, absent or excused (coordinator, chair, minute-taker)."""
    meeting = access.load_run_meeting(db.session(), current_user, meeting_id)
    if not AttendanceForm().validate_on_submit():
        abort(400)
    values = {form_id(k.removeprefix("attendance-")): v for k, v in request.form.items()
              if k.startswith("attendance-") and form_id(k.removeprefix("attendance-"))}
    refusal.on_refusal(lambda exc: _back(meeting_id, "aanwezigheid"))
    changed = invitations.record_attendance(db.session(), current_user, meeting, values)
    flash(f"Aanwezigheid opgeslagen ({changed} gewijzigd).", "success")
    return _back(meeting_id, "aanwezigheid")


@bp.route("/<int:meeting_id>/casussen", methods=["POST"])
@login_required
def add_case(meeting_id: int):
    """Put a case on the agenda with its own time slot."""
    meeting = access.load_planned_meeting(db.session(), current_user, meeting_id)
    form = AddCaseForm()
    form.case_id.choices = []  # any case may be sent: the service decides on it
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0], "error")
        return _back(meeting_id, "agenda")
    refusal.on_refusal(lambda exc: _back(meeting_id, "agenda"))
    # a typed reference names a case like a picked one: the service decides whether this user may put it on
    # (an unknown one is 0: the service's one message for a case that does not exist or that they may not see)
    case_id = form.case_id.data or case_id_for_reference(db.session(), form.reference.data) or 0
    services.add_case_item(db.session(), current_user, meeting, case_id, form.minutes.data)
    flash("De casus staat op de agenda.", "success")
    return _back(meeting_id, "agenda")


@bp.route("/<int:meeting_id>/casussen/<int:item_id>/verwijderen", methods=["GET", "POST"])
@login_required
def remove_case(meeting_id: int, item_id: int):
    """Take a case off the agenda after confirmation with a reason; those invited for it get a cancellation."""
    s = db.session()
    meeting = access.load_planned_meeting(s, current_user, meeting_id)
    item = _case_item_or_404(meeting.id, item_id)
    form = ReasonConfirmForm()
    reference = access.CaseAccess(s, current_user).reference(item.case_id) or access.HIDDEN_CASE

    def page(_exc=None):
        return confirm_page(
            title=f"{reference} van de agenda halen", form=form,
            consequences=["Wie alleen voor deze casus is uitgenodigd, krijgt een annulering.",
                          "De casussen erna schuiven op; hun genodigden krijgen de nieuwe tijden."],
            button="Van de agenda halen", back_url=url_for("meetings.show", meeting_id=meeting.id, _anchor="agenda"))

    refusal.on_refusal(page, form)
    if form.validate_on_submit():
        services.remove_case_item(s, current_user, meeting, item)
        confirmations.record(s, current_user, "agendapunt_verwijderen", "agenda_item", item.id,
                             form.reason.data, case_id=item.case_id)
        flash("De casus is van de agenda gehaald.", "success")
        return _back(meeting_id, "agenda")
    return page()


@bp.route("/<int:meeting_id>/punten/<int:item_id>/update", methods=["POST"])
@login_required
def submit_update(meeting_id: int, item_id: int):
    """Write the organisation's pre-meeting update for a case item."""
    meeting = access.load_meeting_or_404(db.session(), current_user, meeting_id)
    item = _case_item_or_404(meeting.id, item_id)
    if not access.CaseAccess(db.session(), current_user).can_open(item.case_id):
        access.deny(db.session(), current_user, meeting.id, "update voor casus buiten de kring")
        abort(404)
    form = UpdateForm()
    if not form.validate_on_submit():
        flash("Schrijf uw update (hoogstens 8000 tekens).", "error")
        return _back(meeting_id, f"punt-{item.id}")
    refusal.on_refusal(lambda exc: _back(meeting_id, f"punt-{item.id}"))
    updates.submit(db.session(), current_user, meeting, item, form.content.data)
    flash("Uw update is opgeslagen.", "success")
    return _back(meeting_id, f"punt-{item.id}")


@bp.route("/<int:meeting_id>/herinneren", methods=["POST"])
@login_required
def remind(meeting_id: int):
    """Remind the partners whose update is still missing (e-mail without personal data)."""
    meeting = access.load_planned_meeting(db.session(), current_user, meeting_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    items = [i for i in access.agenda_items(db.session(), meeting) if i.kind == "casus"]
    refusal.on_refusal(lambda exc: _back(meeting_id, "updates"))
    count = updates.remind(db.session(), current_user, meeting, items)
    flash(f"Herinnering verstuurd aan {count} deelnemer(s)." if count else "Alle updates zijn binnen.",
          "success")
    return _back(meeting_id, "updates")
