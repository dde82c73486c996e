"""Home page, health checks and the development outbox."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user, login_required
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from mda import db
from mda.core import mail, signals
from mda.core.errors import database_unreachable
from mda.core.permissions import require_permission
from mda.core.redact import redact
from mda.core.templating import register_nav
from mda.extensions import limiter

bp = Blueprint("core", __name__)

register_nav("Start", "core.home", position=0)
register_nav("Uitgaande mail", "core.outbox", "outbox.read", position=95)

@bp.route("/")
@login_required
def home():
    """The start page: what needs the user's attention (features connect panels to :data:`signals.home_panels`)."""
    panels = [p for p in (panel(current_user) for panel in signals.home_panels) if p]
    return render_template("core/home.html", panels=panels)


@bp.route("/favicon.ico")
@limiter.exempt
def favicon():
    """The icon browsers ask for on their own (the pages link the SVG in static/)."""
    response = current_app.send_static_file("favicon.svg")
    response.headers["Cache-Control"] = "no-store"  # like every route (tests/core/test_security.py)
    return response


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """200 when the database answers, 503 when it does not."""
    try:
        with db.engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:  # down or restarting: an expected condition, one warning per outage
        database_unreachable(exc)
        return jsonify(status="fout", database="onbereikbaar"), 503
    except Exception:  # any other failure to reach the database means unhealthy too
        current_app.logger.exception("health check: database unreachable")
        return jsonify(status="fout", database="onbereikbaar"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/healthz/live")
@limiter.exempt
def healthz_live():
    """Liveness: 200 whenever the process answers; asks nothing of the database or Redis."""
    return jsonify(status="ok")


@bp.route("/healthz/ready")
@limiter.exempt
def healthz_ready():
    """Readiness: 200 when the database answers at (or past) the schema's head revision and Redis (if set)
    answers; else 503. Past the head: an old pod during a rolling upgrade, after the migration Job ran."""
    from mda.core.health import readiness

    checks = readiness()
    ready = all(value in ("ok", "nieuwer") for value in checks.values())
    return jsonify(status="ok" if ready else "fout", **checks), 200 if ready else 503


@bp.route("/beheer/outbox")
@require_permission("outbox.read")
def outbox():
    """Mail written to the outbox folder when no SMTP server is configured.

    Set-password links are shown as sent, never as a usable link: an administrator who could
    open them could take over any account (separation of duties). The .eml files on the
    server still hold them, for whoever runs the server in development.
    """
    messages = [(name, msg, redact(_plain_body(msg))) for name, msg in mail.outbox_messages(current_app)]
    return render_template("core/outbox.html", messages=messages,
                           smtp=bool(current_app.config["SMTP"].host))


def _plain_body(msg) -> str:
    body = msg.get_body(preferencelist=("plain",))
    return body.get_content() if body else ""
