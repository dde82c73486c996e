"""Correcting what was typed: items, persons, the case's reason and goal; every old version is kept and shown
(through the sharing engine) on the same page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from mda import db
from mda.cases import bp, history, services
from mda.cases.forms import ConsentEditForm, ItemEditForm, PersonEditForm, ReasonGoalForm
from mda.cases.intake import PersonInput
from mda.cases.models import Person
from mda.cases.routes import load, person_label
from mda.core import refusal, sharing
from mda.core.permissions import require_permission


def _correction(form, page, save, back_url: str,
                saved: str = "De correctie is opgeslagen; de vorige versie is bewaard."):
    """The end every correction form shares: a refusal shows *page* again with its message; a valid form is saved
    by *save()* (True when something changed) and goes back to *back_url*; otherwise *page* with the form's errors."""
    refusal.on_refusal(page, form)
    if form.validate_on_submit():
        flash(saved if save() else "Er is niets gewijzigd.", "success")
        return redirect(back_url)
    return page()


@bp.route("/<int:case_id>/gegevens/<int:item_id>/bewerken", methods=["GET", "POST"])
@require_permission("case.work")
def edit_item(case_id: int, item_id: int):
    """Correct an item of one's own organisation; the earlier versions are listed below the form."""
    case, ctx = load(case_id, "work")
    s = db.session()
    item = sharing.load_item_or_404(s, current_user, ctx, item_id)
    if not history.may_edit_item(current_user, ctx, item):
        abort(403)
    form = ItemEditForm()
    if not form.is_submitted():  # the item as the engine shows it (its own source sees it), audited
        view = sharing.item_view(s, current_user, ctx, item.id, channel="bewerken")
        form.content.data, form.recorded_on.data = view.item.content, view.item.recorded_on
    def page(exc=None):
        versions = history.history(s, current_user, ctx, "item", item.id)
        return refusal.render_form("cases/edit_item.html", form, exc, case=case, item_id=item.id, versions=versions)

    return _correction(form, page, lambda: history.edit_item(s, current_user, ctx, item, content=form.content.data,
                                                             recorded_on=form.recorded_on.data),
                       url_for("cases.case_page", case_id=case.id, _anchor=f"gegeven-{item.id}"))


@bp.route("/<int:case_id>/gegevens/<int:item_id>/geschiedenis")
@require_permission("case.work")
def item_history(case_id: int, item_id: int):
    """The earlier versions of an item, for whoever may see the item (the engine decides)."""
    case, ctx = load(case_id)
    s = db.session()
    view = sharing.item_view(s, current_user, ctx, item_id)
    versions = history.history(s, current_user, ctx, "item", item_id) if view.decision.visible else []
    return render_template("cases/history.html", case=case, title=f"Eerdere versies van gegeven nr. {item_id}",
                           versions=versions, withheld=None if view.decision.visible else view.decision.withheld_reason,
                           labels={"content": "Inhoud", "recorded_on": "Datum"},
                           back_anchor=f"gegeven-{item_id}")


@bp.route("/<int:case_id>/personen/<int:person_id>/bewerken", methods=["GET", "POST"])
@require_permission("case.work")
def edit_person(case_id: int, person_id: int):
    """Correct a person's name, birth date or address (for who may see them); earlier versions below."""
    case, ctx = load(case_id, "work")
    s = db.session()
    person = s.get(Person, person_id)
    if person is None or person.case_id != case.id or person.destroyed_at is not None:
        abort(404)
    if not history.may_edit_person(current_user, ctx, person):
        abort(403)
    form = PersonEditForm()
    if not form.is_submitted():
        form.name.data, form.date_of_birth.data, form.address.data = person.name, person.date_of_birth, person.address
    def page(exc=None):
        versions = history.history(s, current_user, ctx, "person", person.id)
        label = person_label(sharing.person_view(current_user, ctx, person))
        return refusal.render_form("cases/edit_person.html", form, exc, case=case, label=label, versions=versions)

    def save():
        data = PersonInput(role=person.role, name=form.name.data, date_of_birth=form.date_of_birth.data, bsn=None,
                           address=form.address.data or "")
        return history.edit_person(s, current_user, ctx, person, data)

    return _correction(form, page, save, url_for("cases.case_page", case_id=case.id, _anchor="personen"))


@bp.route("/<int:case_id>/reden-en-doel", methods=["GET", "POST"])
@require_permission("case.coordinate")
def edit_reason_goal(case_id: int):
    """The coordinator corrects the case's reason and goal; earlier versions below."""
    case, ctx = load(case_id, "coordinate")
    s = db.session()
    form = ReasonGoalForm()
    if not form.is_submitted():  # the texts as the engine lets the coordinator see them (audited)
        texts = {t.kind: t for t in sharing.case_texts_view(s, current_user, ctx, channel="bewerken")}
        if texts["aanleiding"].text is None or texts["doel"].text is None:
            abort(403)  # one cannot correct what one may not read
        form.reason.data, form.goal.data = texts["aanleiding"].text, texts["doel"].text
    def page(exc=None):
        versions = history.history(s, current_user, ctx, "case", case.id)
        return refusal.render_form("cases/edit_reason_goal.html", form, exc, case=case, versions=versions)

    return _correction(form, page, lambda: history.edit_reason_goal(s, current_user, ctx, reason=form.reason.data,
                                                                    goal=form.goal.data),
                       url_for("cases.case_page", case_id=case.id),
                       saved="Reden en doel zijn opgeslagen; de vorige versie is bewaard.")


@bp.route("/<int:case_id>/toestemmingen/<int:consent_id>/bewerken", methods=["GET", "POST"])
@require_permission("case.work")
def edit_consent(case_id: int, consent_id: int):
    """Correct a typo in a consent's purpose or method; earlier versions below."""
    case, ctx = load(case_id, "work")
    s = db.session()
    consent = services.load_consent(s, ctx, consent_id) or abort(404)
    if not sharing.consent_decision(current_user, ctx, consent).visible:
        abort(403)  # one cannot correct a purpose one may not read
    form, person = ConsentEditForm(), None
    if not form.is_submitted():  # the consent as the engine lets this user see it (audited: person and purpose)
        view = sharing.single_consent_view(s, current_user, ctx, consent, channel="bewerken")
        form.purpose.data, form.method.data, person = view.purpose, view.method, view.person
    def page(exc=None):
        versions = history.history(s, current_user, ctx, "consent", consent.id)
        return refusal.render_form("cases/edit_consent.html", form, exc, case=case, consent_id=consent.id,
                                   person=person, versions=versions)

    return _correction(form, page, lambda: history.edit_consent(s, current_user, ctx, consent,
                                                                purpose=form.purpose.data, method=form.method.data),
                       url_for("cases.case_page", case_id=case.id, _anchor="toestemmingen"))
