"""Views: the way to and back from an organisation's IdP, and the administrator's page of providers."""

from __future__ import annotations

import hmac
import logging
from datetime import datetime, timedelta
from urllib.parse import urlencode

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlmodel import select

from mda import db
from mda.auth import services as auth_services
from mda.auth.models import User
from mda.auth.routes import safe_next, start_session
from mda.core import crypto, refusal
from mda.core.forms import ConfirmForm
from mda.core.mail import public_url
from mda.core.permissions import require_permission
from mda.core.security import server_to_server
from mda.core.timeutil import as_utc, utcnow
from mda.extensions import limiter
from mda.organisations.models import Organisation
from mda.sso import bp, client, services
from mda.sso.client import SsoError
from mda.sso.forms import ProviderForm
from mda.sso.models import OidcProvider

log = logging.getLogger(__name__)
#: how long the browser may take at the IdP before the way back is refused
FLOW_LIFETIME = timedelta(minutes=10)
_FLOW_KEY = "sso_flow"
STALE = ("Deze inlogpoging is verlopen of niet in deze browser begonnen. U bent niet ingelogd. "
         "Begin opnieuw bij de inlogpagina.")


def redirect_uri() -> str:
    """The one redirect URI registered at every IdP, built on MDA_BASE_URL (never on the Host header)."""
    return public_url("sso.callback")


MISCONFIGURED = ("De inlogdienst van uw organisatie is in MDA++ niet goed ingesteld. U bent niet ingelogd. "
                 "Neem contact op met de beheerder van MDA++.")


def home_realm_redirect(user: User | None):
    """Send an account of an organisation with an IdP there (a redirect), or None for the password form."""
    try:
        provider = services.provider_for_user(db.session(), user)
    except crypto.KeyError_:
        # the client secret cannot be read with MDA_TOTP_KEYS: the operator's mistake, not the user's
        log.exception("client secret of an IdP cannot be decrypted (MDA_TOTP_KEYS)")
        db.rollback()
        return _refused(SsoError("clientgeheim niet te ontsleutelen (MDA_TOTP_KEYS)", MISCONFIGURED, 503), user=user)
    if provider is None:
        return None
    try:
        auth_request = client.authorization_request(provider.issuer, provider.client_id, redirect_uri())
    except SsoError as exc:
        return _refused(exc, provider=provider, user=user)
    after_login = session.get("after_login")
    session[_FLOW_KEY] = {"org": provider.organisation_id, "state": auth_request.state,
                          "nonce": auth_request.nonce, "verifier": auth_request.code_verifier,
                          "started": utcnow().isoformat()}
    if after_login:
        session["after_login"] = after_login
    return render_template("sso/continue.html", url=auth_request.url)


def idp_logout_url(user: User) -> str | None:
    """RP-initiated logout: the IdP's end-session address for an account that logs in there, if it has one.

    Offered as a link after MDA++'s own logout; a slow or absent IdP must not hold up logging out."""
    provider = services.provider_for_user(db.session(), user)
    if provider is None:
        return None
    try:
        endpoint = client.metadata(provider.issuer).get("end_session_endpoint")
    except SsoError:
        return None
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        return None
    query = urlencode({"client_id": provider.client_id, "post_logout_redirect_uri": public_url("auth.login")})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def _refused(exc: SsoError, *, provider: OidcProvider | None = None, user: User | None = None, subject: str = ""):
    services.refuse(db.session(), exc.reason, user=user, provider=provider, subject=subject)
    return render_template("sso/refused.html", message=exc.message), exc.status


@bp.route("/login/sso/terug")
@limiter.limit("30 per minute", error_message="Te veel inlogpogingen vanaf dit adres. Wacht een minuut.")
def callback():
    """The way back from the IdP: state, iss, code, ID token; then the account, and MDA++'s own session."""
    flow = session.pop(_FLOW_KEY, None)
    if not isinstance(flow, dict):
        return _refused(SsoError("geen inlogpoging in deze sessie (state ontbreekt)", STALE, 400))
    try:
        provider = services.provider_of(db.session(), flow["org"])
    except crypto.KeyError_:
        log.exception("client secret of an IdP cannot be decrypted (MDA_TOTP_KEYS)")
        db.rollback()
        return _refused(SsoError("clientgeheim niet te ontsleutelen (MDA_TOTP_KEYS)", MISCONFIGURED, 503))
    if provider is None:
        return _refused(SsoError("inlogdienst intussen verwijderd", STALE, 400))
    if utcnow() - as_utc(datetime.fromisoformat(flow["started"])) > FLOW_LIFETIME:
        return _refused(SsoError("inlogpoging verlopen", STALE, 400), provider=provider)
    if not hmac.compare_digest(str(request.args.get("state", "")), flow["state"]):
        return _refused(SsoError("state klopt niet", STALE, 400), provider=provider)
    try:
        _check_response_issuer(provider)
        if request.args.get("error"):
            raise SsoError(f"inlogdienst meldt fout: {request.args['error'][:60]}",
                           "Inloggen bij uw organisatie is afgebroken of geweigerd. U bent niet ingelogd.")
        code = request.args.get("code", "")
        if not code or len(code) > 2000:
            raise SsoError("geen code ontvangen", client.BAD_ANSWER, 400)
        id_token = client.exchange_code(provider.issuer, provider.client_id, provider.client_secret,
                                        redirect_uri(), code, flow["verifier"])
        claims = client.verify_id_token(provider.issuer, provider.client_id, id_token, flow["nonce"],
                                        current_app.config["SSO_CLOCK_SKEW_SECONDS"])
    except SsoError as exc:
        return _refused(exc, provider=provider)
    try:
        login = services.account_for_login(db.session(), provider, claims)
    except SsoError as exc:
        return _refused(exc, provider=provider, subject=str(claims["sub"]))
    return _finish(login, provider, str(claims["sub"]))


@bp.route("/login/sso/backchannel-logout", methods=["POST"])
@server_to_server
@limiter.limit("60 per minute")
def backchannel_logout():
    """OpenID Connect Back-Channel Logout 1.0: the IdP ends a user's sessions here (200), or hears why not (400)."""
    token = request.form.get("logout_token", "")
    try:
        if not token or len(token) > 8000:
            raise SsoError("geen uitlogtoken", "logout_token ontbreekt", 400)
        services.backchannel_logout(db.session(), token, current_app.config["SSO_CLOCK_SKEW_SECONDS"])
    except SsoError as exc:
        services.refuse_logout(db.session(), exc.reason)
        return jsonify({"error": "invalid_request", "error_description": exc.message}), 400
    return "", 200


def _check_response_issuer(provider: OidcProvider) -> None:
    """RFC 9207: the ``iss`` of the response names the IdP that answered (mix-up attack with several IdPs)."""
    iss = request.args.get("iss")
    announced = client.metadata(provider.issuer).get("authorization_response_iss_parameter_supported")
    if iss is None and announced:
        raise SsoError("iss ontbreekt in het antwoord", client.BAD_ANSWER)
    if iss is not None and iss != provider.issuer:
        raise SsoError("iss van het antwoord is een andere inlogdienst", client.BAD_ANSWER)


def _finish(login: services.SsoLogin, provider: OidcProvider, subject: str):
    """MDA++'s session: at once when the IdP's second factor counts, else after MDA++'s own TOTP."""
    user = login.user
    method = f"{login.method}: {provider.issuer}, sub {subject[:100]}"
    if not login.second_factor_done and user.totp_enabled:
        session["pending_user"] = user.get_id()
        session["pending_method"] = method
        return redirect(url_for("auth.second_factor"))
    must_enrol = not login.second_factor_done and auth_services.requires_second_factor(user)
    start_session(user, method, must_enrol=must_enrol)
    if must_enrol:
        return redirect(url_for("auth.enrol_2fa"))
    return redirect(safe_next(session.pop("after_login", None)))


# ------------------------------------------------------------------ administration
@bp.route("/beheer/inlogdiensten", methods=["GET", "POST"])
@require_permission("admin.manage")
def providers():
    """Every organisation's IdP, and a form to set one."""
    form = ProviderForm()
    orgs = db.session().exec(select(Organisation).order_by(Organisation.name)).all()
    form.organisation_id.choices = [(o.id, o.name) for o in orgs]
    if request.method == "GET" and request.args.get("organisatie", "").isdigit():
        existing = services.provider_of(db.session(), int(request.args["organisatie"]))
        if existing is not None:
            form.process(obj=existing)
            form.organisation_id.choices = [(o.id, o.name) for o in orgs]

    def page(exc=None):
        return refusal.render_form("sso/providers.html", form, exc, rows=services.list_providers(db.session()),
                                   redirect_uri=redirect_uri(), confirm=ConfirmForm())

    refusal.on_refusal(page, form)
    if form.validate_on_submit():
        services.save_provider(db.session(), current_user, form.organisation_id.data, issuer=form.issuer.data,
                               client_id=form.client_id.data, client_secret=form.client_secret.data or None,
                               require_mfa=form.require_mfa.data, email_claim=form.email_claim.data,
                               name_claim=form.name_claim.data, strong_acr_values=form.strong_acr_values.data or "")
        flash("De inlogdienst is opgeslagen.", "success")
        return redirect(url_for("sso.providers"))
    return page()


@bp.route("/beheer/inlogdiensten/<int:org_id>/verwijderen", methods=["POST"])
@require_permission("admin.manage")
def remove(org_id: int):
    """Remove an organisation's IdP (its people log in with password and TOTP again)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.remove_provider(db.session(), current_user, org_id)  # none to remove: 404
    flash("De inlogdienst is verwijderd.", "success")
    return redirect(url_for("sso.providers"))
