"""Views for intake (aanmelding) and triage: thin, the work is in :mod:`mda.cases.intake`."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlmodel import select

from mda import db
from mda.cases import bp, referral_merge
from mda.cases import intake as referrals
from mda.cases.forms import ConfirmActionForm, DeclineForm, IntakeForm
from mda.core import refusal
from mda.core.permissions import require_permission
from mda.organisations.models import Organisation


def _partner_choices() -> list[tuple[int, str]]:
    rows = db.session().exec(select(Organisation).where(
        Organisation.active, Organisation.region_id == current_user.organisation.region_id,
        Organisation.id != current_user.organisation_id).order_by(Organisation.name))
    return [(o.id, f"{o.name} ({o.type_code})") for o in rows]


@bp.route("/aanmelden", methods=["GET", "POST"])
@require_permission("case.request")
def intake():
    """Request MDA++ for a household: reason, goal, persons, partners, urgency."""
    form = IntakeForm()
    form.partners.choices = _partner_choices()
    page = refusal.form_page("cases/intake.html", form)
    if form.validate_on_submit():
        persons = [referrals.PersonInput(role=row.role.data, name=row.name.data or "",
                                      date_of_birth=row.date_of_birth.data, bsn=row.bsn.data or None,
                                      address=row.address.data or "")
                   for row in (entry.form for entry in form.persons) if not row.is_empty()]
        referral = referrals.submit_referral(db.session(), current_user, reason=form.reason.data,
                                             goal=form.goal.data, urgency=form.urgency.data, persons=persons,
                                             partner_org_ids=form.partners.data or [])
        flash(f"Uw aanmelding {referral.reference} is verstuurd naar de procesregisseur.", "success")
        return redirect(url_for("cases.my_referrals"))
    return page()


@bp.route("/aanmeldingen")
@require_permission("case.request")
def my_referrals():
    """The referrals the user submitted and what became of them."""
    return render_template("cases/my_referrals.html", referrals=referrals.my_referrals(db.session(), current_user))


@bp.route("/triage")
@require_permission("case.triage")
def triage_list():
    """Open referrals of the coordinator's region."""
    return render_template("cases/triage_list.html",
                           referrals=referrals.pending_referrals(db.session(), current_user))


def _triage_page(referral, matches=None, decline_form=None, error=None, status=200):
    s = db.session()
    return render_template(
        "cases/triage_detail.html", referral=referral, persons=referrals.referral_persons(s, current_user, referral),
        partners=referrals.proposed_organisations(s, referral), matches=matches, confirm=ConfirmActionForm(),
        decline_form=decline_form or DeclineForm(), error=error,
        addable=referral_merge.addable_cases(s, current_user, matches or [])), status


@bp.route("/triage/<int:referral_id>")
@require_permission("case.triage")
def triage_detail(referral_id: int):
    """One referral: persons, proposed partners, the 'already known?' check, accept or decline."""
    referral = referrals.load_referral_or_404(db.session(), current_user, referral_id, triage=True)
    return _triage_page(referral)


@bp.route("/triage/<int:referral_id>/bekend", methods=["POST"])
@require_permission("case.triage")
def triage_check(referral_id: int):
    """Run the audited 'already known?' check and show only that there is a match and whom to contact."""
    referral = referrals.load_referral_or_404(db.session(), current_user, referral_id, triage=True)
    if not ConfirmActionForm().validate_on_submit():
        abort(400)
    if referral.status != "open":
        return _triage_page(referral, error="Deze aanmelding is al behandeld.", status=422)
    return _triage_page(referral, matches=referrals.check_known(db.session(), current_user, referral))


@bp.route("/triage/<int:referral_id>/doorsturen", methods=["POST"])
@require_permission("case.triage")
def triage_route(referral_id: int):
    """Route the referral to the coordinators of the matched cases, who contact the user (no name shown here)."""
    referral = referrals.load_referral_or_404(db.session(), current_user, referral_id, triage=True)
    if not ConfirmActionForm().validate_on_submit():
        abort(400)
    if referral.status != "open":
        return _triage_page(referral, error="Deze aanmelding is al behandeld.", status=422)
    told = referrals.route_to_coordinators(db.session(), current_user, referral)
    flash("De procesregisseur van de casus waarin een persoon bekend is, heeft het nummer van deze aanmelding en "
          "uw contactgegevens gekregen en neemt contact met u op." if told else
          "Er is geen andere procesregisseur om naar door te sturen.", "success" if told else "info")
    return redirect(url_for("cases.triage_detail", referral_id=referral.id))


@bp.route("/triage/<int:referral_id>/toevoegen/<int:case_id>", methods=["POST"])
@require_permission("case.triage")
def triage_add_to_case(referral_id: int, case_id: int):
    """Add the referral to a running case the coordinator coordinates, instead of opening a duplicate."""
    referral = referrals.load_referral_or_404(db.session(), current_user, referral_id, triage=True)
    if not ConfirmActionForm().validate_on_submit():
        abort(400)
    refusal.on_refusal(lambda exc: _triage_page(referral, status=exc.status))
    case = referral_merge.add_to_case(db.session(), current_user, referral, case_id)
    flash(f"Aanmelding {referral.reference} is toegevoegd aan casus {case.reference}.", "success")
    return redirect(url_for("cases.case_page", case_id=case.id, _anchor="gegevens"))


@bp.route("/triage/<int:referral_id>/accepteren", methods=["POST"])
@require_permission("case.triage")
def triage_accept(referral_id: int):
    """Accept: open a case with the requester and proposed partners in its circle."""
    referral = referrals.load_referral_or_404(db.session(), current_user, referral_id, triage=True)
    if not ConfirmActionForm().validate_on_submit():
        abort(400)
    refusal.on_refusal(lambda exc: _triage_page(referral, status=exc.status))
    case = referrals.accept_referral(db.session(), current_user, referral)
    flash(f"Casus {case.reference} is geopend" + (" (herhaalde casus)." if case.is_repeat else "."), "success")
    return redirect(url_for("cases.case_page", case_id=case.id))


@bp.route("/triage/<int:referral_id>/afwijzen", methods=["POST"])
@require_permission("case.triage")
def triage_decline(referral_id: int):
    """Decline with a reason the requester will see."""
    referral = referrals.load_referral_or_404(db.session(), current_user, referral_id, triage=True)
    form = DeclineForm()
    refusal.on_refusal(lambda exc: _triage_page(referral, decline_form=form, status=exc.status), form)
    if form.validate_on_submit():
        referrals.decline_referral(db.session(), current_user, referral, form.reason.data)
        flash(f"Aanmelding {referral.reference} is afgewezen; de melder krijgt bericht.", "success")
        return redirect(url_for("cases.triage_list"))
    return _triage_page(referral, decline_form=form, status=422)
