"""Admin pages: organisations and accounts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlmodel import select

from mda import db
from mda.auth import services as account_services
from mda.auth.models import User
from mda.core import refusal
from mda.core.forms import ConfirmForm
from mda.core.permissions import require_permission
from mda.organisations import bp, services
from mda.organisations.forms import OrganisationForm, UserEditForm, UserForm
from mda.organisations.models import Organisation, Region


def _org_choices() -> list[tuple[int, str]]:
    return [(o.id, f"{o.name} ({o.type_code})") for o in services.list_organisations(db.session())]


@bp.route("/organisaties")
@require_permission("admin.manage")
def organisations():
    """All organisations."""
    return render_template("organisations/list.html",
                           organisations=services.list_organisations(db.session()))


@bp.route("/organisaties/nieuw", methods=["GET", "POST"])
@bp.route("/organisaties/<int:org_id>", methods=["GET", "POST"])
@require_permission("admin.manage")
def edit_organisation(org_id: int | None = None):
    """Create or edit an organisation."""
    org = None
    if org_id is not None:
        org = db.session().get(Organisation, org_id) or abort(404)
    form = OrganisationForm(obj=org)
    form.region_id.choices = [(r.id, r.name) for r in db.session().exec(select(Region))]
    page = refusal.form_page("organisations/edit.html", form, org=org)
    if form.validate_on_submit():
        services.save_organisation(db.session(), current_user, org, name=form.name.data,
                                   type_code=form.type_code.data,
                                   region_id=form.region_id.data, active=form.active.data,
                                   mailbox=form.mailbox.data)
        flash("De organisatie is opgeslagen.", "success")
        return redirect(url_for("organisations.organisations"))
    return page()


@bp.route("/gebruikers")
@require_permission("admin.manage")
def users():
    """All accounts, by organisation."""
    rows = db.session().exec(select(User).join(Organisation).order_by(Organisation.name, User.name)).all()
    return render_template("organisations/users.html", users=rows, confirm=ConfirmForm())


@bp.route("/gebruikers/nieuw", methods=["GET", "POST"])
@require_permission("admin.manage")
def invite_user():
    """Create an account and e-mail a one-time set-password link."""
    form = UserForm()
    form.organisation_id.choices = _org_choices()
    page = refusal.form_page("organisations/user_edit.html", form, user=None)
    if form.validate_on_submit():
        account_services.invite_user(db.session(), current_user, email=form.email.data,
                                     name=form.name.data,
                                     organisation_id=form.organisation_id.data,
                                     roles=form.roles.data)
        flash(f"Uitnodiging verstuurd naar {form.email.data}.", "success")
        return redirect(url_for("organisations.users"))
    return page()


@bp.route("/gebruikers/<int:user_id>", methods=["GET", "POST"])
@require_permission("admin.manage")
def edit_user(user_id: int):
    """Change an account's name, organisation and roles."""
    user = db.session().get(User, user_id) or abort(404)
    form = UserEditForm(obj=user)
    form.organisation_id.choices = _org_choices()
    page = refusal.form_page("organisations/user_edit.html", form, user=user, confirm=ConfirmForm())
    if form.validate_on_submit():
        account_services.update_user(db.session(), current_user, user, name=form.name.data,
                                     organisation_id=form.organisation_id.data,
                                     roles=form.roles.data)
        flash("Het account is opgeslagen.", "success")
        return redirect(url_for("organisations.users"))
    return page()


@bp.route("/gebruikers/<int:user_id>/<any(deactiveren, activeren, resetten):action>",
          methods=["POST"])
@require_permission("admin.manage")
def user_action(user_id: int, action: str):
    """Deactivate, reactivate or reset an account."""
    user = db.session().get(User, user_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    refusal.on_refusal(lambda exc: users())  # the list again, with the message
    if action == "resetten":
        account_services.reset_account(db.session(), current_user, user)
        flash(f"Het account is gereset; {user.email} krijgt een nieuwe link.", "success")
    else:
        account_services.set_active(db.session(), current_user, user, action == "activeren")
        flash("Het account is " + ("geactiveerd." if action == "activeren" else "gedeactiveerd."), "success")
    return redirect(url_for("organisations.users"))
