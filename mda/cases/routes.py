"""Case pages: list, case page, and the forms that add persons, items, consents and legal grounds.

Every view loads its case through :func:`mda.core.sharing.load_case_or_404` (404 outside
the circle) and shows personal data only from :func:`mda.core.sharing.case_view` (audited).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlmodel import select

from mda import db
from mda.auth.models import User
from mda.cases import bp, catalogue, circle, loaders, search, services
from mda.cases.forms import (
    BreakGlassForm,
    ConsentForm,
    DutyConflictForm,
    ItemForm,
    PersonForm,
    PhaseForm,
    WithdrawForm,
    category_choices,
)
from mda.cases.intake import PersonInput
from mda.cases.models import PHASES, Case
from mda.core import paging, refusal, sharing, signals
from mda.core.permissions import has_permission, require_permission
from mda.core.timeutil import to_local, utcnow
from mda.organisations import names

#: the loader beside the services, shared by pages, API and socket handlers
load = loaders.load_case


def person_label(*args, **kwargs):
    """The engine's label for a person (looked up on call: this module may load while the engine does)."""
    return sharing.person_label(*args, **kwargs)


def persons_for_form(case, ctx):
    """The case's persons as this user may see them (audited view, no items)."""
    view = sharing.case_view(db.session(), current_user, case, ctx, channel="formulier", item_filter=set())
    return [(p.id, person_label(p)) for p in view.persons]


@bp.route("/")
@require_permission("case.work")
def case_list():
    """The cases of the user's circles (references only; no personal data), newest first, paged."""
    s = db.session()
    filters = search.from_request()
    page = paging.paginate_ids(s, search.case_ids(current_user, filters),
                               lambda ids: s.exec(select(Case).where(Case.id.in_(ids))), *paging.page_args())
    coordinators = {u.id: u.name for u in s.exec(select(User.id, User.name).where(
        User.id.in_({c.coordinator_id for c in page.items})))}
    return render_template("cases/list.html", cases=page.items, page=page, coordinators=coordinators,
                           filters=filters, phases=PHASES, roles=search.ROLES,
                           coordinator_choices=search.coordinator_choices(s, current_user))


@bp.route("/<int:case_id>")
@require_permission("case.work")
def case_page(case_id: int):
    """The case as this user may see it: persons, items by category with their basis, consents, grounds."""
    case, ctx = load(case_id)
    s = db.session()
    # the user object itself, not the request-local proxy: the engine reads it for every decision it makes
    user = current_user._get_current_object()
    view = sharing.case_view(s, user, case, ctx)
    user_ids = ({case.coordinator_id} | {d.decided_by_id for d in view.decisions}
                | {c.recorded_by_id for c in view.consents}
                | {c.withdrawn_by_id for c in view.consents if c.withdrawn_by_id})
    may_work = sharing.can_manage(user, ctx, "work")
    # the context has the names of the coordinator, recorders and deciders; ask only for any it lacks
    user_names = dict(ctx.user_names)
    if missing := user_ids - user_names.keys():
        user_names.update(s.exec(select(User.id, User.name).where(User.id.in_(missing))).all())
    panels = {}  # the higher rooms' panels (meetings, escalations), gathered before rendering: templates only render
    for _receiver, extra in signals.case_page.send(case, db=s, user=user, ctx=ctx):
        panels.update(extra or {})
    return render_template(
        "cases/case.html", **panels, view=view, case=case, region_name=names.region_name(s, case.region_id),
        documents=signals.item_documents_of(s, case.id),
        user_names=user_names,
        coordinator=user_names.get(case.coordinator_id, ""), persons={p.id: person_label(p) for p in view.persons},
        circle=circle.circle(s, ctx), covenant=catalogue.covenant(ctx.region_code).name,
        can_work=may_work and case.phase != "afgesloten",
        can_withdraw=may_work and case.purged_at is None,
        can_coordinate=sharing.can_manage(user, ctx, "coordinate"),
        can_decide=sharing.can_manage(user, ctx, "duty_conflict") and case.phase != "afgesloten",
        can_break_glass=has_permission(user, "case.break_glass"))


@bp.route("/<int:case_id>/personen/nieuw", methods=["GET", "POST"])
@require_permission("case.work")
def add_person(case_id: int):
    """Add a person of the household (role, name, date of birth, BSN, address)."""
    case, ctx = load(case_id, "work")
    form = PersonForm()
    page = refusal.form_page("cases/person_form.html", form, case=case)
    if form.validate_on_submit():
        data = PersonInput(role=form.role.data, name=form.name.data, date_of_birth=form.date_of_birth.data,
                           bsn=form.bsn.data or None, address=form.address.data or "")
        services.add_person(db.session(), current_user, ctx, data)
        flash("De persoon is toegevoegd.", "success")
        return redirect(url_for("cases.case_page", case_id=case.id, _anchor="personen"))
    return page()


@bp.route("/<int:case_id>/gegevens/nieuw", methods=["GET", "POST"])
@require_permission("case.work")
def add_item(case_id: int):
    """Add an item of the minimal data set; the source is the author's organisation."""
    case, ctx = load(case_id, "work")
    form = ItemForm()
    if not form.is_submitted():
        form.recorded_on.data = to_local(utcnow()).date()
    form.category.choices = category_choices()
    form.persons.choices = persons_for_form(case, ctx)
    page = refusal.form_page("cases/item_form.html", form, case=case)
    if form.validate_on_submit():
        services.add_item(db.session(), current_user, ctx, category=form.category.data,
                          content=form.content.data, recorded_on=form.recorded_on.data,
                          person_ids=form.persons.data or [])
        flash("Het gegeven is toegevoegd.", "success")
        return redirect(url_for("cases.case_page", case_id=case.id, _anchor="gegevens"))
    return page()


@bp.route("/<int:case_id>/gegevens/<int:item_id>/doorbraak", methods=["GET", "POST"])
@require_permission("case.break_glass")
def break_glass(case_id: int, item_id: int):
    """Open a withheld item in acute danger, after typing a reason (audited, listed for the privacy officer)."""
    case, ctx = load(case_id)
    s = db.session()
    item_view = sharing.item_view(s, current_user, ctx, item_id)
    form = BreakGlassForm()
    page = refusal.form_page("cases/break_glass.html", form, case=case, item=item_view)
    if form.validate_on_submit():
        services.break_glass(s, current_user, ctx, sharing.load_item_or_404(s, current_user, ctx, item_id),
                             form.reason.data)
        flash("Doorbraak vastgelegd. Het gegeven is 4 uur voor u zichtbaar; de privacyfunctionaris "
              "beoordeelt deze doorbraak.", "warning")
        return redirect(url_for("cases.case_page", case_id=case.id, _anchor=f"gegeven-{item_id}"))
    return page()


@bp.route("/<int:case_id>/toestemmingen/nieuw", methods=["GET", "POST"])
@require_permission("case.work")
def add_consent(case_id: int):
    """Record a consent: person, purpose, recipients in the circle, categories, how, when, until when."""
    case, ctx = load(case_id, "work")
    form = ConsentForm()
    form.person_id.choices = persons_for_form(case, ctx)
    form.recipients.choices = sorted(((o, ctx.org_names[o]) for o in ctx.circle_org_ids), key=lambda c: c[1])
    form.categories.choices = category_choices()
    page = refusal.form_page("cases/consent_form.html", form, case=case)
    if form.validate_on_submit():
        services.record_consent(
            db.session(), current_user, ctx, person_id=form.person_id.data,
            by_representative=form.given_by_kind.data == "vertegenwoordiger",
            representative=form.representative.data or "", purpose=form.purpose.data, method=form.method.data,
            recipient_ids=form.recipients.data or [], categories=form.categories.data or [],
            given_on=form.given_on.data, valid_until=form.valid_until.data)
        flash("De toestemming is vastgelegd.", "success")
        return redirect(url_for("cases.case_page", case_id=case.id, _anchor="toestemmingen"))
    return page()


@bp.route("/<int:case_id>/toestemmingen/<int:consent_id>/intrekken", methods=["GET", "POST"])
@require_permission("case.work")
def withdraw_consent(case_id: int, consent_id: int):
    """Withdraw a consent; from the next page load on, what it opened is no longer shared."""
    case, ctx = load(case_id, "work")
    consent = services.load_consent(db.session(), ctx, consent_id) or abort(404)
    form = WithdrawForm()
    page = refusal.form_page("cases/withdraw_form.html", form, case=case, consent=consent)
    if form.validate_on_submit():
        services.withdraw_consent(db.session(), current_user, ctx, consent_id, form.reason.data)
        flash(f"Toestemming nr. {consent_id} is ingetrokken; wat zij deelde is niet meer zichtbaar.", "success")
        return redirect(url_for("cases.case_page", case_id=case.id, _anchor="toestemmingen"))
    return page()


@bp.route("/<int:case_id>/conflict-van-plichten/nieuw", methods=["GET", "POST"])
@require_permission("case.duty_conflict")
def add_duty_conflict(case_id: int):
    """Record a conflict-of-duties decision: who decided, for which recipient and category, and why."""
    case, ctx = load(case_id, "duty_conflict")
    form = DutyConflictForm()
    form.organisation_id.choices = sorted(((o, ctx.org_names[o]) for o in ctx.circle_org_ids), key=lambda c: c[1])
    form.category.choices = category_choices()
    form.person_id.choices = [(0, "Alle personen van de casus"), *persons_for_form(case, ctx)]
    page = refusal.form_page("cases/duty_conflict_form.html", form, case=case)
    if form.validate_on_submit():
        services.record_duty_conflict(
            db.session(), current_user, ctx, organisation_id=form.organisation_id.data,
            category=form.category.data, person_id=form.person_id.data or None, reason=form.reason.data,
            valid_until=form.valid_until.data)
        flash("Het besluit (conflict van plichten) is vastgelegd.", "success")
        return redirect(url_for("cases.case_page", case_id=case.id, _anchor="grondslagen"))
    return page()


@bp.route("/<int:case_id>/fase", methods=["GET", "POST"])
@require_permission("case.coordinate")
def change_phase(case_id: int):
    """Move the case to another phase (coordinator of the case)."""
    case, ctx = load(case_id, "coordinate")
    form = PhaseForm()
    if not form.is_submitted():
        form.phase.data = case.phase
    page = refusal.form_page("cases/phase_form.html", form, case=case)
    if form.validate_on_submit():
        services.change_phase(db.session(), current_user, ctx, form.phase.data, form.reason.data)
        flash(f"De casus is nu in de fase {PHASES[form.phase.data]}.", "success")
        return redirect(url_for("cases.case_page", case_id=case.id))
    return page()
