"""Prometheus metrics, served to the cluster only.

``/metrics`` answers on its own port (``MDA_METRICS_PORT``, gunicorn binds it beside the public one,
``deploy/gunicorn.conf.py``) and nowhere else: on the public port the path does not exist, and on the
metrics port nothing else does. The check reads the port the request came in on before any proxy header
is applied, so no client can talk its way onto it. ``MDA_METRICS_TOKEN`` adds a bearer token on top.

Labels carry route templates (``/casussen/<int:case_id>``), methods, status codes and job names: never
an id, a name or a query string. Under gunicorn with ``PROMETHEUS_MULTIPROC_DIR`` set, every worker
writes its own files and a scrape adds them up (prometheus_client's multi-process mode).
"""

from __future__ import annotations

import hmac
import os
import time

from flask import Flask, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from mda import db

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # a CLI command in the image (migrate, jobs) has the variable too but no gunicorn to make the folder
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

REQUESTS = Counter("mda_http_requests", "HTTP requests answered, by route template and status",
                   ["method", "route", "status"])
LATENCY = Histogram("mda_http_request_duration_seconds", "Time to answer an HTTP request, by route template",
                    ["method", "route"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
LIVE_SOCKETS = Gauge("mda_live_sockets", "Live-session sockets connected", multiprocess_mode="livesum")
JOB_RUNS = Counter("mda_job_runs", "Runs of time-driven jobs, by job and outcome (ok, failed)", ["job", "outcome"])
JOB_RUNS_SKIPPED = Counter("mda_job_runs_skipped", "Job runs skipped because another runner held the lock")
AUDIT_ROWS_SEALED = Counter("mda_audit_rows_sealed", "Audit rows chained by this process's sealer")
AUDIT_SEAL_LAG = Histogram("mda_audit_seal_lag_seconds",
                           "Age of the oldest row of each sealed batch of audit rows (recorded to sealed)",
                           buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))
MAIL = Counter("mda_mail_deliveries", "Messages handed on after a commit, by transport (smtp, outbox) and outcome",
               ["transport", "outcome"])

#: a request that matched no route is counted under this label, never under its path
UNMATCHED = "(geen route)"


def registry() -> CollectorRegistry:
    """The registry a scrape reads: every worker's files in multi-process mode, else this process."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        combined = CollectorRegistry()
        multiprocess.MultiProcessCollector(combined)
        return combined
    from prometheus_client import REGISTRY

    return REGISTRY


def init_app(app: Flask) -> None:
    """Time and count every request, and put the metrics port in front of the application."""

    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        started = g.pop("metrics_started", None)
        route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        if started is not None:
            LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
        return response

    app.wsgi_app = MetricsPort(app.wsgi_app, app)


class MetricsPort:
    """WSGI middleware: on the metrics port serve ``/metrics`` and only that; elsewhere pass through.

    Outermost on purpose: ``SERVER_PORT`` is read as the server set it, before ProxyFix could rewrite it
    from an ``X-Forwarded-Host`` header.
    """

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ, start_response):
        port = self.app.config.get("METRICS_PORT") or 0
        if not port or environ.get("SERVER_PORT") != str(port):
            return self.wsgi_app(environ, start_response)
        if environ.get("PATH_INFO") != "/metrics" or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _plain(start_response, "404 Not Found", b"not found\n")
        token = self.app.config.get("METRICS_TOKEN")
        offered = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
        if token and not hmac.compare_digest(offered.encode(), token.encode()):
            return _plain(start_response, "401 Unauthorized", b"token required\n")
        body = generate_latest(registry()) + _database_gauges(self.app)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(body))),
                                  ("Cache-Control", "no-store")])
        return [body]


def _database_gauges(app: Flask) -> bytes:
    """Gauges read from the database at scrape time (the same for every replica): the audit trail's sealing lag.

    Rows wait for their seal about ``AUDIT_SEAL_DELAY`` (``mda.core.audit.sealer``); an age above
    ``AUDIT_SEAL_SWEEP`` means sealing stopped (``audit-verify`` seals what is left). Nothing when the database
    cannot be reached: readiness reports that.
    """
    from prometheus_client.core import GaugeMetricFamily
    from sqlalchemy import text

    from mda.core import clock

    try:
        with app.app_context(), db.engine().connect() as conn:
            count, oldest = conn.execute(
                text("SELECT count(*), min(occurred_at) FROM audit_event WHERE seq IS NULL")).one()
    except Exception:  # any database failure: leave the gauges out of this scrape
        app.logger.warning("metrics: audit sealing lag unavailable")
        return b""
    if isinstance(oldest, str):  # SQLite returns the aggregate as text
        from datetime import datetime

        oldest = datetime.fromisoformat(oldest)
    age = 0.0
    if oldest is not None:
        from datetime import UTC

        age = max(0.0, (clock.now() - (oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC))).total_seconds())
    pending = CollectorRegistry(auto_describe=False)

    class _Audit:
        def collect(self):
            yield GaugeMetricFamily("mda_audit_pending_rows", "Audit rows committed but not yet sealed", value=count)
            yield GaugeMetricFamily("mda_audit_oldest_pending_seconds", "Age of the oldest unsealed audit row",
                                    value=age)

    pending.register(_Audit())
    return generate_latest(pending)


def _plain(start_response, status: str, body: bytes):
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]
