"""Home page, health check and the development outbox."""

from __future__ import annotations

import pytest

from mda.db import make_engine


def test_healthz_reports_ok_when_the_database_answers(client):
    """Does /healthz answer 200 while the database is reachable (without logging in)?"""
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://nobody@127.0.0.1:1/geen?connect_timeout=5",
    "sqlite:////nonexistent-directory/mda.sqlite",
], ids=["postgresql-down", "sqlite-unreadable"])
def test_healthz_reports_a_database_outage_with_503(app, client, monkeypatch, url):
    """When the database cannot be reached, does /healthz say so with 503 instead of crashing?"""
    unreachable = make_engine(url)
    monkeypatch.setitem(app.extensions, "mda_engine", unreachable)
    resp = client.get("/healthz")
    unreachable.dispose()
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "fout", "database": "onbereikbaar"}


def test_home_requires_login(client):
    """Is the start page closed to anonymous visitors (sent to the login page)?"""
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")


def test_outbox_page_shows_mail_to_admins(app, client, login_as):
    """Does an admin see the messages written to the outbox folder, with subject and body?"""
    from mda.core import mail

    with app.app_context():
        mail.deliver(app, mail.build_message(["iemand@example.test"], "Testonderwerp", "Hallo daar"))
    login_as(("admin",))
    page = client.get("/beheer/outbox")
    assert page.status_code == 200
    assert "Testonderwerp" in page.text and "Hallo daar" in page.text and "iemand@example.test" in page.text


@pytest.mark.parametrize("role", ["coordinator", "professional", "team_lead", "privacy_officer"])
def test_outbox_page_is_closed_to_other_roles(app, client, login_as, role):
    """Is the outbox (which holds set-password links) hidden from everyone but admins?"""
    from mda.core import mail

    with app.app_context():
        mail.deliver(app, mail.build_message(["iemand@example.test"], "Geheim onderwerp", "link"))
    login_as((role,))
    page = client.get("/beheer/outbox")
    assert page.status_code == 403 and "Geheim onderwerp" not in page.text


def test_healthz_reports_outage_also_with_a_session_cookie(app, client, login_as, monkeypatch):
    """During an outage, does /healthz answer 503 for a logged-in browser too (not a crash)?"""
    login_as(("professional",))
    unreachable = make_engine("sqlite:////nonexistent-directory/mda.sqlite")
    monkeypatch.setitem(app.extensions, "mda_engine", unreachable)
    resp = client.get("/healthz")
    assert resp.status_code == 503


def test_pages_during_a_database_outage_get_the_dutch_error_page(app, client, login_as, monkeypatch):
    """When the database is down, does a logged-in user see the Dutch error page, not a bare English one?"""
    login_as(("professional",))
    unreachable = make_engine("sqlite:////nonexistent-directory/mda.sqlite")
    monkeypatch.setitem(app.extensions, "mda_engine", unreachable)
    resp = client.get("/")
    assert resp.status_code in (500, 503)
    assert '<html lang="nl"' in resp.text and "Internal Server Error" not in resp.text
    assert "Traceback" not in resp.text


def test_favicon_is_served_locally(client):
    """Does /favicon.ico answer with the local SVG icon (no 404 on every page, nothing external)?"""
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml" and b"<svg" in resp.data


def test_menu_marks_the_current_page(client, login_as):
    """Does the main menu mark the page the user is on with aria-current, and only that entry, in both of its
    shapes (the row on wide screens and the "Menu" disclosure on narrow ones; CSS shows one of them)?"""
    login_as(roles=("coordinator",))
    html = client.get("/overleggen/week").text
    assert html.count('aria-current="page"') == 2
    assert html.count('href="/overleggen/week" aria-current="page"') == 2
    html = client.get("/").text
    assert html.count('href="/" aria-current="page"') == 2 and html.count('aria-current="page"') == 2
