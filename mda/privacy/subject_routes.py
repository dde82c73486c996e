"""Privacy officer pages: persons (access log, export, destruction) and break-glass review."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from mda import db
from mda.core import refusal
from mda.core.errors import ServiceError
from mda.core.input_guard import is_db_int
from mda.core.permissions import require_permission
from mda.privacy import bp, subjects
from mda.privacy.forms import DestroyForm, FollowUpForm, PersonSearchForm, ReviewForm
from mda.privacy.services import describe_action


def _subject_or_404(person_id: int) -> subjects.Subject:
    return subjects.load_subject(db.session(), person_id) or abort(404)


@bp.route("/personen", methods=["GET", "POST"])
@require_permission("privacy.manage")
def persons():
    """Find a person by BSN, by name and date of birth, or by case reference (audited).

    A POST form: a BSN or a name in a query string would land in access logs and browser history.
    """
    form, found = PersonSearchForm(), None
    refusal.form_page("privacy/persons.html", form, found=None)
    if form.validate_on_submit():
        found = subjects.find_persons(db.session(), current_user, bsn=form.bsn.data or "",
                                      name=form.name.data or "", date_of_birth=form.date_of_birth.data,
                                      case_reference=form.reference.data or "")
    return refusal.render_form("privacy/persons.html", form, found=found)


@bp.route("/personen/<int:person_id>")
@require_permission("privacy.manage")
def person(person_id: int):
    """The NEN 7513 client view: who accessed this person's data, when, what, on what basis."""
    subject = _subject_or_404(person_id)
    before = request.args.get("voor", type=int)  # paged as the audit page: the rows older than this audit row id
    if before is not None and not is_db_int(before):
        before = None
    page = subjects.access_log(db.session(), current_user, subject, before=before)
    return render_template(
        "privacy/person.html", subject=subject, rows=page.rows, describe_action=describe_action,
        next_url=url_for("privacy.person", person_id=person_id, voor=page.rows[-1].id) if page.more else None,
        first_url=url_for("privacy.person", person_id=person_id) if before is not None else None)


@bp.route("/personen/<int:person_id>/export.<any(json, csv):fmt>")
@require_permission("privacy.manage")
def person_export(person_id: int, fmt: str):
    """Everything the platform holds about the person, as a JSON or CSV download (audited)."""
    subject = _subject_or_404(person_id)
    document = subjects.export_data(db.session(), current_user, subject)
    name = f"persoon-{person_id}-{subject.case.reference}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "json":
        return Response(subjects.export_json(document), mimetype="application/json", headers=headers)
    return Response("\ufeff" + subjects.export_csv(document), mimetype="text/csv", headers=headers)


@bp.route("/personen/<int:person_id>/vernietigen", methods=["GET", "POST"])
@require_permission("privacy.manage")
def person_destroy(person_id: int):
    """Destroy a person's data on request after a refuted suspicion; a record of it is kept."""
    subject = _subject_or_404(person_id)
    form = DestroyForm()
    page = refusal.form_page("privacy/destroy.html", form, subject=subject)
    if form.validate_on_submit():
        subjects.destroy(db.session(), current_user, subject, requested_by=form.requested_by.data,
                         requested_on=form.requested_on.data, reason=form.reason.data,
                         refuted=form.refuted.data)
        flash(f"De gegevens van persoon nr. {person_id} zijn vernietigd; de vernietiging is vastgelegd.",
              "success")
        return redirect(url_for("privacy.destructions"))
    return page()


@bp.route("/vernietigingen")
@require_permission("privacy.manage")
def destructions():
    """Every destruction on request: who asked, when, what was destroyed."""
    records = subjects.destruction_records(db.session(), current_user)
    return render_template("privacy/destructions.html", records=records)


def _break_glass_page(error: str | None = None, failed_id: int | None = None, review=None, follow=None):
    return render_template("privacy/break_glass.html", rows=subjects.break_glass_list(db.session(), current_user),
                           review_form=review or ReviewForm(), follow_form=follow or FollowUpForm(),
                           failed_id=failed_id, error=error), (422 if error else 200)


@bp.route("/doorbraken")
@require_permission("privacy.manage")
def break_glass_list():
    """Every break-glass opening with its reason, unreviewed first, then unjustified ones without follow-up."""
    return _break_glass_page()


@bp.route("/doorbraken/<int:grant_id>/beoordeeld", methods=["POST"])
@require_permission("privacy.manage")
def break_glass_reviewed(grant_id: int):
    """Record a judgement (terecht / onterecht) and a comment on a break-glass opening."""
    form = ReviewForm()
    refusal.on_refusal(lambda exc: _break_glass_page(None, grant_id, review=form))
    if not form.validate_on_submit():
        raise ServiceError(" ".join(e for errs in form.errors.values() for e in errs))
    subjects.review_break_glass(db.session(), current_user, grant_id, form.judgement.data, form.comment.data)
    flash(f"Uw oordeel over doorbraak nr. {grant_id} is vastgelegd.", "success")
    return redirect(url_for("privacy.break_glass_list"))


@bp.route("/doorbraken/<int:grant_id>/opvolging", methods=["POST"])
@require_permission("privacy.manage")
def break_glass_follow_up(grant_id: int):
    """Record the follow-up of an unjustified break-glass opening."""
    form = FollowUpForm()
    refusal.on_refusal(lambda exc: _break_glass_page(None, grant_id, follow=form))
    if not form.validate_on_submit():
        raise ServiceError(" ".join(e for errs in form.errors.values() for e in errs))
    subjects.follow_up_break_glass(db.session(), current_user, grant_id, form.follow_up.data)
    flash(f"De opvolging van doorbraak nr. {grant_id} is vastgelegd.", "success")
    return redirect(url_for("privacy.break_glass_list"))
