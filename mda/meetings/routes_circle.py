"""Inviting a case's whole circle, and withdrawing one person's invitation (the planner's screens)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user, login_required

from mda import db
from mda.auth.models import User
from mda.core import confirmations, refusal
from mda.core.forms import ConfirmForm, ReasonConfirmForm, confirm_page
from mda.meetings import access, bp, circle_invites, invitations
from mda.meetings.models import AgendaItem, Invitation


def _back(meeting_id: int, anchor: str):
    return redirect(url_for("meetings.show", meeting_id=meeting_id, _anchor=anchor))


@bp.route("/<int:meeting_id>/casussen/<int:item_id>/kring-uitnodigen", methods=["POST"])
@login_required
def invite_circle(meeting_id: int, item_id: int):
    """Invite every named professional of the case's circle for this case item (need-to-know per case)."""
    meeting = access.load_planned_meeting(db.session(), current_user, meeting_id)
    item = db.session().get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id or item.kind != "casus":
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    refusal.on_refusal(lambda exc: _back(meeting_id, "antwoorden"))
    invited = circle_invites.invite_circle(db.session(), current_user, meeting, item)
    flash(f"{len(invited)} professional(s) uit de kring uitgenodigd voor deze casus." if invited
          else "Iedereen uit de kring die kan worden uitgenodigd, is al uitgenodigd.", "success")
    return _back(meeting_id, "antwoorden")


@bp.route("/<int:meeting_id>/uitnodigingen/<int:invitation_id>/intrekken", methods=["GET", "POST"])
@login_required
def withdraw_invitation(meeting_id: int, invitation_id: int):
    """Withdraw one person's invitation after confirmation with a reason: a cancellation goes to that person only."""
    s = db.session()
    meeting = access.load_planned_meeting(s, current_user, meeting_id)
    inv = s.get(Invitation, invitation_id)
    if inv is None or inv.meeting_id != meeting.id or inv.withdrawn_at is not None:
        abort(404)
    form = ReasonConfirmForm()
    invitee = s.get(User, inv.user_id)

    def page(_exc=None):
        return confirm_page(
            title=f"Uitnodiging van {invitee.name} intrekken", form=form,
            consequences=[f"{invitee.name} krijgt een annulering in de agenda; de andere genodigden merken niets."],
            button="Uitnodiging intrekken",
            back_url=url_for("meetings.show", meeting_id=meeting.id, _anchor="antwoorden"))

    refusal.on_refusal(page, form)
    if form.validate_on_submit():
        invitations.withdraw(s, current_user, meeting, inv)
        confirmations.record(s, current_user, "uitnodiging_intrekken", "invitation", inv.id, form.reason.data)
        flash("De uitnodiging is ingetrokken; alleen deze persoon krijgt een annulering.", "success")
        return _back(meeting_id, "antwoorden")
    return page()
