"""Prometheus metrics: on the metrics port only, route templates in labels, a token when configured."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

METRICS = "http://localhost:9100"


@pytest.fixture
def app_config(app_config):
    """The app with a metrics port, as in the container (deploy/gunicorn.conf.py binds it)."""
    return {**app_config, "METRICS_PORT": 9100}


def test_metrics_are_not_served_on_the_public_port(client):
    """Is /metrics absent (404) on the address the ingress reaches?"""
    assert client.get("/metrics").status_code == 404


def test_the_metrics_port_serves_metrics_and_nothing_else(client):
    """Does the metrics port answer /metrics in Prometheus format and refuse every page of the application?"""
    resp = client.get("/metrics", base_url=METRICS)
    assert resp.status_code == 200
    assert resp.content_type.startswith("text/plain")
    assert "mda_http_requests_total" in resp.text
    assert client.get("/login", base_url=METRICS).status_code == 404
    assert client.post("/metrics", base_url=METRICS).status_code == 404


def test_requests_are_counted_by_route_template_without_ids(client):
    """Is a request to /beheer/gebruikers/424242 counted under /beheer/gebruikers/<int:user_id>, never with its id?"""
    client.get("/beheer/gebruikers/424242")
    client.get("/no-such-page-987654")
    text = client.get("/metrics", base_url=METRICS).text
    assert 'route="/beheer/gebruikers/<int:user_id>"' in text
    samples = [sample for family in text_string_to_metric_families(text) for sample in family.samples]
    labels = [value for sample in samples for value in sample.labels.values()]
    assert not [value for value in labels if "424242" in value or "987654" in value]
    assert 'route="(geen route)"' in text
    assert "mda_http_request_duration_seconds_bucket" in text


def test_a_configured_token_is_required(app, client, monkeypatch):
    """With MDA_METRICS_TOKEN set, is a scrape without the token refused and one with it served?"""
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-token-0123456789")
    assert client.get("/metrics", base_url=METRICS).status_code == 401
    wrong = client.get("/metrics", base_url=METRICS, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = client.get("/metrics", base_url=METRICS, headers={"Authorization": "Bearer scrape-token-0123456789"})
    assert right.status_code == 200


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXIES": 1}], indirect=True)
def test_a_forwarded_host_header_does_not_open_the_metrics_port(client):
    """Behind a trusted proxy, can a client reach /metrics on the public port by sending X-Forwarded-Host: x:9100?"""
    resp = client.get("/metrics", headers={"X-Forwarded-Host": "localhost:9100"})
    assert resp.status_code == 404


def test_metrics_are_off_without_a_port(app, client, monkeypatch):
    """Without MDA_METRICS_PORT (make run), is /metrics served nowhere?"""
    monkeypatch.setitem(app.config, "METRICS_PORT", 0)
    assert client.get("/metrics", base_url=METRICS).status_code == 404


def metric(text: str, name: str) -> float:
    """The value of the unlabelled sample *name* in an exposition."""
    line = next(line for line in text.splitlines() if line.startswith(name + " "))
    return float(line.split()[1])


def test_the_audit_sealing_lag_is_exported(app, client, db):
    """Do the audit gauges count a committed but unsealed row and its age, so an alert fires when sealing stops?"""
    from datetime import timedelta

    from mda.core import clock
    from mda.core.audit import AuditEvent

    before = client.get("/metrics", base_url=METRICS).text
    assert metric(before, "mda_audit_pending_rows") == 0
    db.add(AuditEvent(occurred_at=clock.now() - timedelta(minutes=10), action="read", summary="wacht op zegel"))
    db.commit()
    after = client.get("/metrics", base_url=METRICS).text
    assert metric(after, "mda_audit_pending_rows") == 1
    assert 600 <= metric(after, "mda_audit_oldest_pending_seconds") < 700


def test_mail_deliveries_are_counted_by_transport(app, client):
    """Is a message written to the outbox counted as an ok outbox delivery (and nothing about its content)?"""
    from mda.core import mail

    def count(text: str) -> float:
        prefix = 'mda_mail_deliveries_total{outcome="ok",transport="outbox"} '
        return next((float(line.split()[-1]) for line in text.splitlines() if line.startswith(prefix)), 0.0)

    before = count(client.get("/metrics", base_url=METRICS).text)
    with app.app_context():
        mail.deliver(app, mail.build_message(["iemand@demo.invalid"], "Onderwerp GEHEIM", "tekst"))
    text = client.get("/metrics", base_url=METRICS).text
    assert count(text) == before + 1
    assert "GEHEIM" not in text and "iemand" not in text
