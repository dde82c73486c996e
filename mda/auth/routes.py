"""Views for logging in, the second factor, passwords and personal API tokens."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlmodel import select

from mda import db
from mda.auth import bp, services, totp
from mda.auth.forms import (
    ApiTokenForm,
    ChangePasswordForm,
    EnrolForm,
    LoginForm,
    SecondFactorForm,
    SetPasswordForm,
)
from mda.auth.models import ApiToken, User
from mda.core import input_guard, refusal
from mda.core.forms import ConfirmForm
from mda.core.timeutil import utcnow
from mda.extensions import limiter

LOGIN_FAILED = ("Inloggen is niet gelukt. Controleer uw e-mailadres en wachtwoord. "
                "Na herhaalde mislukte pogingen wordt uw account tijdelijk geblokkeerd.")


def _audit_nul_login() -> None:
    """A login attempt refused for a NUL byte is still on record (``login_failed`` survives the refusal)."""
    if request.endpoint == "auth.login" and request.method == "POST":
        services.authenticate(db.session(), request.form.get("email", ""), request.form.get("password", ""))


input_guard.NUL_REFUSAL_HOOKS.append(_audit_nul_login)


def safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlparse(target).netloc:
        return target
    return url_for("core.home")


def start_session(user: User, method: str, must_enrol: bool = False) -> None:
    """Log in with a fresh session (session fixation: nothing from before survives)."""
    next_url = session.get("after_login")
    session.clear()
    login_user(user)
    now = utcnow().isoformat()
    session["auth_at"] = now
    session["last_seen"] = now
    session.permanent = True
    if must_enrol:
        session["must_enrol"] = True
    if next_url:
        session["after_login"] = next_url
    services.complete_login(db.session(), user, method)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"],
               error_message="Te veel inlogpogingen vanaf dit adres. Wacht een minuut.")
def login():
    """Step one: e-mail address and password."""
    if current_user.is_authenticated:  # still logged in (e.g. the live page's "log in again" link): go on
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if request.method == "GET" and request.args.get("next"):
        session["after_login"] = safe_next(request.args["next"])
    if form.validate_on_submit():
        home_realm = current_app.extensions.get("mda_home_realm")
        if home_realm is not None and "\x00" not in form.email.data:
            # an account of an organisation with its own IdP logs in there, password or not (mda.sso)
            elsewhere = home_realm(services.find_user_by_email(db.session(), form.email.data))
            if elsewhere is not None:
                return elsewhere
        if not form.password.data:
            form.password.errors.append("Vul uw wachtwoord in.")
            return render_template("auth/login.html", form=form, idp_logout_url=session.pop("idp_logout_url", None))
        result = services.authenticate(db.session(), form.email.data, form.password.data)
        if result.user is None:
            flash(LOGIN_FAILED, "error")
        elif result.needs_second_factor:
            session["pending_user"] = result.user.get_id()
            session.pop("pending_method", None)
            return redirect(url_for("auth.second_factor"))
        else:
            start_session(result.user, "wachtwoord", must_enrol=result.needs_enrolment)
            if result.needs_enrolment:
                return redirect(url_for("auth.enrol_2fa"))
            return redirect(safe_next(session.pop("after_login", None)))
    return render_template("auth/login.html", form=form, idp_logout_url=session.pop("idp_logout_url", None))


def _pending_user() -> User | None:
    raw = session.get("pending_user")
    if not raw:
        return None
    user_id, version = raw.split(":")
    user = db.session().get(User, int(user_id))
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return user


@bp.route("/login/tweede-stap", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"],
               error_message="Te veel pogingen. Wacht een minuut.")
def second_factor():
    """Step two: a TOTP code or a recovery code."""
    user = _pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        method = services.verify_second_factor(db.session(), user, form.code.data)
        if method:
            if session.get("pending_method"):  # after an IdP login without its second factor (mda.sso)
                method = session["pending_method"] + " + " + method.split(" + ")[-1]
            start_session(user, method)
            return redirect(safe_next(session.pop("after_login", None)))
        flash("De code klopt niet of is al gebruikt. Probeer de volgende code.", "error")
    return render_template("auth/second_factor.html", form=form)


@bp.route("/tweestapsverificatie", methods=["GET", "POST"])
@login_required
def enrol_2fa():
    """Set up an authenticator app (QR code rendered here) and show recovery codes."""
    form = EnrolForm()
    user = current_user._get_current_object()
    if request.method == "GET" or not user.totp_pending_secret:
        # the seed waits on the server, encrypted, never in the (signed, readable) session cookie
        services.start_enrolment(db.session(), user)

    def page(_exc=None):
        if not user.totp_pending_secret:  # begun by this refused request and undone with it: begin again, kept
            services.start_enrolment(db.session(), user)
            db.commit()
        secret = user.totp_pending_secret
        uri = totp.provisioning_uri(secret, current_user.email)
        return render_template("auth/enrol.html", form=form, qr=totp.qr_svg(uri), secret=secret,
                               required=session.get("must_enrol", False))

    refusal.on_refusal(page, form)
    if form.validate_on_submit():
        codes = services.confirm_enrolment(db.session(), user, form.code.data)
        session.pop("must_enrol", None)
        return render_template("auth/recovery_codes.html", codes=codes)
    return page()


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End every session of the current user (and offer the IdP's logout when they came from one)."""
    idp_logout = current_app.extensions.get("mda_idp_logout")
    idp_logout_url = idp_logout(current_user) if idp_logout is not None else None
    services.logout(db.session(), current_user)
    logout_user()
    session.clear()
    if idp_logout_url:
        session["idp_logout_url"] = idp_logout_url
    flash("U bent uitgelogd.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/wachtwoord-instellen/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """Set a password from an invitation or reset link."""
    refusal.on_refusal(lambda exc: render_template("auth/link_invalid.html", message=exc.message), not_found=True)
    user = services.redeem_account_token(db.session(), token)  # an unknown or used link: 404
    form = SetPasswordForm()
    page = refusal.form_page("auth/set_password.html", form, user=user)
    if form.validate_on_submit():
        services.redeem_account_token(db.session(), token, form.password.data)
        if current_user.is_authenticated:
            logout_user()
        session.clear()
        flash("Uw wachtwoord is ingesteld. U kunt nu inloggen.", "success")
        return redirect(url_for("auth.login"))
    return page()


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The user's own settings: password, second factor, API tokens."""
    password_form = ChangePasswordForm(prefix="pw")
    token_form = ApiTokenForm(prefix="tok")
    new_token = None

    def page(_exc=None):
        tokens = db.session().exec(
            select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at.desc())
        ).all()
        return render_template("auth/account.html", password_form=password_form, token_form=token_form,
                               tokens=tokens, new_token=new_token, confirm=ConfirmForm())

    if password_form.submit.data and password_form.validate_on_submit():
        refusal.on_refusal(page, password_form)
        services.change_password(db.session(), current_user, password_form.current.data,
                                 password_form.password.data)
        login_user(current_user)  # the cookie must carry the new session version
        flash("Uw wachtwoord is gewijzigd. Andere sessies zijn beëindigd.", "success")
        return redirect(url_for("auth.account"))
    elif token_form.submit.data and token_form.validate_on_submit():
        refusal.on_refusal(page, token_form)
        new_token = services.create_api_token(db.session(), current_user, token_form.label.data)
    return page()


@bp.route("/account/tokens/<int:token_id>/intrekken", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    """Revoke one of the user's own API tokens."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.revoke_api_token(db.session(), current_user, token_id)  # not one's own, or gone: 404
    flash("De API-sleutel is ingetrokken.", "success")
    return redirect(url_for("auth.account"))
