"""Circle management: the coordinator adds and removes organisations and professionals."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from mda import db
from mda.cases import bp, circle
from mda.cases.forms import CircleMemberForm, CircleOrganisationForm
from mda.cases.loaders import load_case as load
from mda.core import confirmations, refusal
from mda.core.forms import ConfirmForm, ReasonConfirmForm, confirm_page
from mda.core.permissions import require_permission


def _page(case, ctx, error: str | None = None, org_form=None, member_form=None):
    s = db.session()
    org_form = org_form or CircleOrganisationForm()
    org_form.organisation_id.choices = [(o.id, f"{o.name} ({o.type_code})")
                                        for o in circle.candidate_organisations(s, ctx)]
    member_form = member_form or CircleMemberForm()
    member_form.user_id.choices = [(u.id, f"{u.name} ({ctx.org_names.get(u.organisation_id, '')})")
                                   for u in circle.candidate_members(s, ctx)]
    return render_template("cases/circle.html", case=case, circle=circle.circle(s, ctx), org_form=org_form,
                           member_form=member_form, confirm=ConfirmForm(), error=error), (422 if error else 200)


def _add(case, ctx, form_name: str, form, no_choice: str, add):
    """Both add forms: without a choice the page again with *no_choice*; else *add(form)* names who joined."""
    if not form.validate_on_submit():
        return _page(case, ctx, no_choice, **{form_name: form})
    refusal.on_refusal(lambda exc: _page(case, ctx, **{form_name: form}), form)
    flash(f"{add(form)} staat nu in de kring.", "success")
    return redirect(url_for("cases.circle_page", case_id=case.id))


@bp.route("/<int:case_id>/kring")
@require_permission("case.coordinate")
def circle_page(case_id: int):
    """Who takes part in the case, and forms to change that."""
    case, ctx = load(case_id, "coordinate")
    return _page(case, ctx)


@bp.route("/<int:case_id>/kring/organisaties", methods=["POST"])
@require_permission("case.coordinate")
def circle_add_organisation(case_id: int):
    """Add an organisation to the circle."""
    case, ctx = load(case_id, "coordinate")
    return _add(case, ctx, "org_form", CircleOrganisationForm(), "Kies een organisatie.",
                lambda form: circle.add_organisation(db.session(), current_user, ctx, form.organisation_id.data).name)


@bp.route("/<int:case_id>/kring/organisaties/<int:org_id>/verwijderen", methods=["GET", "POST"])
@require_permission("case.coordinate")
def circle_remove_organisation(case_id: int, org_id: int):
    """Remove an organisation (and its named professionals) from the circle, after confirmation with a reason."""
    case, ctx = load(case_id, "coordinate")
    form = ReasonConfirmForm()
    name = ctx.org_names.get(org_id) if org_id in ctx.circle_org_ids else "Deze organisatie"

    def page(_exc=None):
        return confirm_page(
            title=f"{name} uit de kring van {case.reference} halen", form=form,
            consequences=[f"{name} en de professionals van {name} die met naam in de kring staan, kunnen de casus "
                          "niet meer openen.",
                          "Hun uitnodigingen voor komende overleggen over deze casus vervallen (zij krijgen een "
                          "annulering); hun open acties in het veiligheidsplan gaan naar hun organisatie, of staan "
                          "in uw overzicht van acties zonder persoon.",
                          "Wat al met hen is gedeeld, blijft in de audittrail zichtbaar."],
            button="Uit de kring halen", back_url=url_for("cases.circle_page", case_id=case.id))

    refusal.on_refusal(page, form)
    if form.validate_on_submit():
        circle.remove_organisation(db.session(), current_user, ctx, org_id)
        confirmations.record(db.session(), current_user, "kring_organisatie_verwijderen", "case_circle", case.id,
                             form.reason.data, case_id=case.id)
        flash("De organisatie is uit de kring gehaald.", "success")
        return redirect(url_for("cases.circle_page", case_id=case.id))
    return page()


@bp.route("/<int:case_id>/kring/professionals", methods=["POST"])
@require_permission("case.coordinate")
def circle_add_member(case_id: int):
    """Name a professional of a circle organisation."""
    case, ctx = load(case_id, "coordinate")
    return _add(case, ctx, "member_form", CircleMemberForm(), "Kies een professional.",
                lambda form: circle.add_member(db.session(), current_user, ctx, form.user_id.data).name)


@bp.route("/<int:case_id>/kring/professionals/<int:user_id>/verwijderen", methods=["POST"])
@require_permission("case.coordinate")
def circle_remove_member(case_id: int, user_id: int):
    """Take a professional out of the circle."""
    case, ctx = load(case_id, "coordinate")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    refusal.on_refusal(lambda exc: _page(case, ctx))
    circle.remove_member(db.session(), current_user, ctx, user_id)
    flash("De professional is uit de kring gehaald. Uitnodigingen voor komende overleggen over deze casus zijn "
          "vervallen; open acties van deze professional liggen nu bij de organisatie.", "success")
    return redirect(url_for("cases.circle_page", case_id=case.id))
