"""Revoking a conflict-of-duties decision (the screen that was missing): confirmation with a reason."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from mda import db
from mda.cases import bp, catalogue, services
from mda.cases.routes import load
from mda.core import refusal
from mda.core.forms import ReasonConfirmForm, confirm_page
from mda.core.permissions import require_permission


@bp.route("/<int:case_id>/conflict-van-plichten/<int:decision_id>/intrekken", methods=["GET", "POST"])
@require_permission("case.duty_conflict")
def revoke_duty_conflict(case_id: int, decision_id: int):
    """Revoke a decision; from the next page load on it is no longer a basis for sharing."""
    case, ctx = load(case_id, "duty_conflict")
    # a decision of another case, or none, is not found: no confirmation page naming a number it does not hold
    decision = services.load_duty_conflict(db.session(), ctx, decision_id) or abort(404)
    form = ReasonConfirmForm()
    cat = catalogue.categories().get(decision.category)
    what = f" ({cat.name if cat else decision.category} aan {ctx.org_names.get(decision.organisation_id, '?')})"

    def page(_exc=None):
        return confirm_page(
            title=f"Besluit conflict van plichten nr. {decision_id} intrekken", form=form,
            consequences=[f"Het besluit{what} is vanaf nu geen grondslag meer om gegevens te delen.",
                          "Wat op grond van dit besluit al is ingezien, blijft in de audittrail staan."],
            button="Besluit intrekken", back_url=url_for("cases.case_page", case_id=case.id, _anchor="grondslagen"))

    refusal.on_refusal(page, form)
    if form.validate_on_submit():
        services.revoke_duty_conflict(db.session(), current_user, ctx, decision_id, form.reason.data)
        flash(f"Besluit nr. {decision_id} is ingetrokken; wat het opende, is niet meer zichtbaar.", "success")
        return redirect(url_for("cases.case_page", case_id=case.id, _anchor="grondslagen"))
    return page()
