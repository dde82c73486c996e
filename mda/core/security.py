"""The request lifecycle's security steps: who is this, is the session still valid,
is the request forged, and which headers go out with every response."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy import bindparam
from sqlalchemy.orm import defer
from sqlmodel import select

from mda import db
from mda.core import signals
from mda.core.timeutil import utcnow
from mda.extensions import csrf, login_manager, talisman

#: endpoints a user with a pending second-factor enrolment may still reach
#: endpoints that need no user or session: the probes of the cluster
PROBE_ENDPOINTS = {"core.healthz", "core.healthz_live", "core.healthz_ready"}
ENROLMENT_ENDPOINTS = {"auth.enrol_2fa", "auth.logout", "static", *PROBE_ENDPOINTS}

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def init_app(app: Flask) -> None:
    """Install authentication, session timeouts, CSRF and security headers."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in om deze pagina te zien."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_user)
    login_manager.request_loader(_load_user_from_token)

    csrf.init_app(app)
    talisman.init_app(
        app,
        force_https=False,  # TLS ends at the terminator; HSTS is sent when MDA_HTTPS=1
        strict_transport_security=app.config["HTTPS"],
        session_cookie_secure=app.config["HTTPS"],
        session_cookie_http_only=True,
        content_security_policy=CSP,
        content_security_policy_nonce_in=[],
        frame_options="DENY",
        referrer_policy="no-referrer",
        x_content_type_options=True,
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )
    app.before_request(_check_session)
    app.after_request(_no_store)


@functools.cache
def _session_user():
    """The logged-in user of a session, without the 2FA seeds (read only where 2FA needs them): built once, asked
    on every request and live event."""
    from mda.auth.models import User

    return (select(User).options(defer(User.totp_secret), defer(User.totp_pending_secret))
            .where(User.id == bindparam("user_id")))


def _load_user(user_id: str):
    try:
        raw_id, raw_version = user_id.split(":")
        # the 2FA seeds are decrypted only where 2FA reads them, not on every request and live event
        user = db.session().exec(_session_user(), params={"user_id": int(raw_id)}).first()
    except (ValueError, TypeError):
        return None
    if user is None or not user.active or str(user.session_version) != raw_version:
        return None
    return user


def _load_user_from_token(req):
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not req.path.startswith("/api/"):
        return None
    raw = header.removeprefix("Bearer ").strip()
    user = next(filter(None, (provider(db.session(), raw) for provider in signals.api_token_users)), None)
    if user is not None:
        g.api_token_auth = True
    return user


def server_to_server(view):
    """Mark *view* as called by another server without a browser (an IdP's back-channel logout): no CSRF token,
    no session. Such a view must authenticate the message it receives itself (a signed token)."""
    view.server_to_server = True
    return view


def _check_session():
    """CSRF for cookie-authenticated requests, idle and absolute timeouts, 2FA gate."""
    if request.endpoint == "static" or request.endpoint in PROBE_ENDPOINTS:  # probes need no user or session
        return None
    # A bearer-token call cannot be forged by a browser, so it needs no CSRF token; but
    # when the session cookie is what logs the caller in, CSRF applies whatever other
    # headers say (an anonymous bearer call is refused with 401 by the view).
    bearer = request.headers.get("Authorization", "").startswith("Bearer ")
    if getattr(current_app.view_functions.get(request.endpoint), "server_to_server", False):
        return None  # no cookie, no session, no browser: the view checks its caller's signed message itself
    if not bearer or (current_user.is_authenticated and not g.get("api_token_auth")):
        csrf.protect()
    if not current_user.is_authenticated or g.get("api_token_auth"):
        return None
    now = utcnow()
    if session_expired(session.get("last_seen"), session.get("auth_at"), now):
        logout_user()
        session.clear()
        if request.path.startswith("/api/"):
            from flask import abort

            abort(401)
        flash("Uw sessie is verlopen. Log opnieuw in.", "warning")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    _seen(now)
    if session.get("must_enrol") and request.endpoint not in ENROLMENT_ENDPOINTS:
        return redirect(url_for("auth.enrol_2fa"))
    return None


#: how often the session's last activity is written: a page loaded within this of the last write leaves the
#: session cookie as it was (no new signature, no Set-Cookie). The idle timeout counts from the written time,
#: so a session expires at most this much *earlier* than the timeout, never later.
SEEN_STEP = timedelta(seconds=60)


def _seen(now: datetime) -> None:
    last = session.get("last_seen")
    try:
        fresh = last is not None and timedelta(0) <= now - datetime.fromisoformat(last) < SEEN_STEP
    except (TypeError, ValueError):
        fresh = False
    if not fresh:
        session["last_seen"] = now.isoformat()


def session_limits() -> tuple[timedelta, timedelta]:
    """The idle timeout and the absolute lifetime of a login session, as configured."""
    from flask import current_app

    return current_app.config["IDLE_TIMEOUT"], current_app.config["PERMANENT_SESSION_LIFETIME"]


def session_expired(last_seen: str | datetime | None, started: str | datetime | None,
                    now: datetime | None = None, limits: tuple[timedelta, timedelta] | None = None) -> bool:
    """Has a login session passed its idle timeout or its absolute lifetime?

    The one rule for HTTP requests and socket events alike (socket events do not pass
    :func:`_check_session`; :mod:`mda.live.guard` asks this on every event). *limits*: :func:`session_limits`,
    when the caller asks for many sessions at once.
    """
    now = now or utcnow()
    if last_seen is None or started is None:
        return True
    idle, lifetime = limits or session_limits()
    last_seen = datetime.fromisoformat(last_seen) if isinstance(last_seen, str) else last_seen
    started = datetime.fromisoformat(started) if isinstance(started, str) else started
    return now - last_seen > idle or now - started > lifetime


def load_session_user(user_id: str | None):
    """The user a session cookie names, or None when deactivated or the session version was revoked."""
    return _load_user(user_id) if user_id else None


def _no_store(response):
    """Pages with personal data must not linger in browser or proxy caches."""
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response
