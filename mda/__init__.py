"""MDA++: the platform for multidisciplinary case conferences.

:func:`create_app` builds the application: configuration from the environment,
extensions, the commit-once request lifecycle, blueprints, socket namespaces and
CLI commands.
"""

from __future__ import annotations

import os
import sys

from flask import Flask

from mda.config import ROOT

__all__ = ["ROOT", "create_app"]


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure an MDA++ application."""
    from mda.config import ConfigError, load_config

    instance_path = os.environ.get("MDA_INSTANCE_PATH") or str(ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=instance_path,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from mda.core import input_guard

    input_guard.register_converters(app)  # before any route: ids are bounded everywhere
    try:
        app.config.update(load_config(app.instance_path))
    except ConfigError as exc:
        print(f"MDA++ kan niet starten: {exc}", file=sys.stderr)  # noqa: T201
        raise SystemExit(2) from None
    if test_config:
        app.config.update(test_config)
    from mda.core import crypto

    crypto.configure(app.config["TOTP_KEYS"])
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    from mda.cases.catalogue import CatalogueError, validate_all

    try:
        validate_all()
    except CatalogueError as exc:
        print(f"MDA++ kan niet starten: {exc}", file=sys.stderr)  # noqa: T201
        raise SystemExit(2) from None
    from mda.meetings.agendas import AgendaError
    from mda.meetings.agendas import validate_all as validate_agendas

    try:
        validate_agendas(app.config.get("AGENDAS_DIR"))
    except AgendaError as exc:
        print(f"MDA++ kan niet starten: {exc}", file=sys.stderr)  # noqa: T201
        raise SystemExit(2) from None

    from mda.escalations.ladder import LadderError
    from mda.escalations.ladder import validate_all as validate_ladders

    try:
        validate_ladders(app.config.get("LADDERS_DIR"))
    except LadderError as exc:
        print(f"MDA++ kan niet starten: {exc}", file=sys.stderr)  # noqa: T201
        raise SystemExit(2) from None

    from mda.core.logs import init_logging

    if not app.testing:
        init_logging()
    from mda.core.redact import install_log_redaction

    install_log_redaction()  # set-password and feed tokens never reach a log line

    import mda.models  # noqa: F401  (every table, so that relationships resolve)
    from mda import db
    from mda.core import error_handlers, security, templating
    from mda.extensions import babel, limiter, socketio

    db.init_app(app)
    _install_unit_of_work(app)
    input_guard.init_app(app)  # before the session and CSRF checks
    security.init_app(app)
    input_guard.init_app_after_session(app)
    babel.init_app(app, default_locale="nl", default_timezone="Europe/Amsterdam")
    limiter.init_app(app)
    templating.init_app(app)
    error_handlers.init_app(app)
    from mda.core import metrics

    metrics.init_app(app)  # after ProxyFix: the metrics port is checked before any proxy header is read
    from mda.core import audit

    audit.init_app(app)  # the sealer's settings (AUDIT_SEALER, AUDIT_SEAL_DELAY, AUDIT_SEAL_SWEEP)

    _init_features(app)
    from mda.live.sockets import NAMESPACE as LIVE_NAMESPACE

    # the socketio object outlives one app (tests build many): a message-queue manager chosen for an earlier
    # app must not stay behind, so each app picks its own from its own MDA_REDIS_URL
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        message_queue=app.config["REDIS_URL"],
        cors_allowed_origins=[app.config["BASE_URL"]],
        manage_session=False,
        # only namespaces with handlers answer (``/live``); python-socketio otherwise accepts anyone on ``/``
        namespaces=[LIVE_NAMESPACE],
    )

    from mda.cli import register_cli

    register_cli(app)
    return app


def _init_features(app: Flask) -> None:
    """Register every feature: its blueprint, and the hooks it connects (:mod:`mda.core.signals`).

    Each feature's ``init_app`` connects its providers here, when the app is built, never at import time; the
    JSON API's blueprint goes last, after every feature attached its views to it.
    """
    from mda import (
        auth,
        cases,
        documents,
        escalations,
        live,
        meetings,
        notices,
        organisations,
        privacy,
        safety_plan,
        sso,
    )
    from mda.api import bp as api_bp
    from mda.core.routes import bp as core_bp
    from mda.extensions import api_spec

    app.register_blueprint(core_bp)
    auth.init_app(app)
    app.register_blueprint(organisations.bp)
    privacy.init_app(app)
    meetings.init_app(app)
    cases.init_app(app)
    app.register_blueprint(documents.bp)  # its record_once hook connects the forget provider and the CLI
    safety_plan.init_app(app)
    escalations.init_app(app)
    app.register_blueprint(sso.bp)
    notices.init_app(app)
    app.register_blueprint(api_bp)
    api_spec.register(app)
    live.init_app(app)


def _install_unit_of_work(app: Flask) -> None:
    """Commit once per request when it succeeded; roll back otherwise. The audit trail keeps the rows of refused
    attempts through a rollback (:func:`mda.db.install_hooks`); its sealer chains rows after the commit."""
    from mda import db

    db.install_hooks(through_rollback=_audit_survivors)

    @app.after_request
    def _finish_unit_of_work(response):
        if response.status_code < 400:
            db.commit()
        else:
            db.rollback()
        return response


def _audit_survivors(session):
    """The audit rows that outlive a rollback (refused attempts, failed logins), written again after it."""
    from mda.core import audit

    survivors = audit.take_surviving_events(session)
    if not survivors:
        return None

    def replay(fresh) -> None:
        for entry in survivors:
            audit.queue(fresh, entry)

    return replay
