"""Plain Dutch in the interface: no English words on the main pages of the demo, and decimal commas."""

from __future__ import annotations

import re
from datetime import date

import pyotp
from sqlmodel import select

from mda.auth.models import User
from mda.cases.models import Case
from mda.demo.accounts import DEMO_PASSWORD
from mda.escalations.dashboards import Figures, steering_csv
from mda.meetings.models import Meeting
from tests.conftest import AuthActions, text_of

#: English words that slipped into the interface before, and their likely siblings (whole words)
ENGLISH = ["Deadline", "deadline", "review", "Review", "Download", "download", "tokens", "token", "Token",
           "Submit", "Save", "Cancel", "Delete", "Edit", "Owner", "Search", "Settings", "Loading", "Upload",
           "Previous", "Next", "Dashboard", "Meeting", "Action", "Actions", "Due", "overdue", "Overdue"]


def _login(app, client, db, email: str):
    user = db.exec(select(User).where(User.email == email)).one()
    user.totp_secret, user.totp_enabled = pyotp.random_base32(), True
    db.add(user)
    db.commit()
    auth = AuthActions(app, client, db)
    auth.logout()
    assert auth.login(user, DEMO_PASSWORD).status_code == 302


def _english_in(text: str) -> list[str]:
    return [w for w in ENGLISH if re.search(rf"(?<![\w/.-]){w}(?![\w/.-])", text)]


def test_main_pages_of_the_demo_hold_no_english_words(app, client, runner, db):
    """Rendering the main pages of a seeded demo case as its coordinator (home, case, plan, versions, actions,
    meetings, a meeting with its live panel, escalations, steering figures, account): is no English word on them?"""
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    case = db.exec(select(Case).where(Case.reference == "MDA-2026-0001")).one()
    meeting = db.exec(select(Meeting).order_by(Meeting.id)).first()
    pages = ["/", "/casussen/", f"/casussen/{case.id}", f"/casussen/{case.id}/plan",
             f"/casussen/{case.id}/plan/versies", "/mijn-acties", "/acties-van-mijn-organisatie", "/regie/acties",
             "/overleggen/",
             f"/overleggen/{meeting.id}", f"/overleggen/{meeting.id}/live", "/escalaties", "/account"]
    found = {}
    _login(app, client, db, "regisseur.zvh@demo.invalid")
    for url in pages:
        resp = client.get(url, follow_redirects=True)
        assert resp.status_code == 200, url
        if words := _english_in(text_of(resp.text)):
            found[url] = words
    _login(app, client, db, "manager.vt@demo.invalid")
    steering = text_of(client.get("/escalaties/stuurinformatie").text)
    if words := _english_in(steering):
        found["/escalaties/stuurinformatie"] = words
    assert not found, found


def test_steering_figures_use_a_decimal_comma_on_the_page_and_in_the_csv(app):
    """Are 50 % and 12 hours shown as "50,0%" and "12,0 uur" on the steering page, and as "50,0" and "12,0" in the
    CSV (a Dutch spreadsheet reads a semicolon CSV with a decimal comma)?"""
    from flask import render_template

    figures = Figures(start=date(2026, 1, 1), end=date(2026, 12, 31), total=3, by_level={1: 2, 2: 1},
                      by_urgency={"regulier": 3}, decided=2, decided_at_level_1=1, withdrawn=0, open=1,
                      median_hours_to_decision=12.0, mean_hours_to_decision=12.25)
    with app.test_request_context("/"):
        page = text_of(render_template("escalations/steering.html", f=figures, level_bars=[], urgency_bars=[]))
        csv = steering_csv(figures)
    assert "50,0%" in page and "mediaan 12,0 uur" in page and "50.0" not in page and "12.0" not in page
    assert "aandeel_niveau_1_procent;50,0" in csv and "mediaan_uren_tot_besluit;12,0" in csv
    assert "Downloaden als CSV" in page
