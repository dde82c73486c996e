"""No personal data in any log line: names, BSNs and birth dates of the demo persons never reach a log."""

from __future__ import annotations

import json
import logging

import pyotp
import pytest
from sqlalchemy import text
from sqlmodel import select

from mda.auth.models import User
from mda.cases.models import Case, Person
from mda.demo.accounts import DEMO_PASSWORD
from mda.meetings.models import Meeting
from tests.conftest import AuthActions, form_post


def _needles(db) -> set[str]:
    """Every demo person's name (and its parts), BSN and birth date in the forms a log line could use."""
    needles = set()
    for p in db.exec(select(Person)):
        needles.add(p.name)
        needles |= {part for part in p.name.replace("(fictief)", "").split() if len(part) > 3}
        if p.bsn:
            needles.add(p.bsn)
        if p.date_of_birth:
            needles |= {p.date_of_birth.isoformat(), p.date_of_birth.strftime("%d-%m-%Y")}
    return needles


def _login(app, client, db, email: str):
    user = db.exec(select(User).where(User.email == email)).one()
    user.totp_secret, user.totp_enabled = pyotp.random_base32(), True
    db.add(user)
    db.commit()
    auth = AuthActions(app, client, db)
    auth.logout()
    assert auth.login(user, DEMO_PASSWORD).status_code == 302


def test_main_scenarios_log_no_personal_data(app, client, runner, db, caplog):
    """Running login, the case page, the API, the meeting page, its ICS file and the privacy search with
    every logger at DEBUG: does no log line (message or structured field) hold a demo person's name,
    BSN or birth date?"""
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    needles = _needles(db)
    assert "111222333" in needles and "1988-04-12" in needles
    case = db.exec(select(Case).where(Case.reference == "MDA-2026-0001")).one()
    meeting = db.exec(select(Meeting).order_by(Meeting.id)).first()
    caplog.set_level(logging.DEBUG)
    _login(app, client, db, "regisseur.zvh@demo.invalid")
    assert client.get(f"/casussen/{case.id}").status_code == 200
    assert client.get(f"/api/v1/cases/{case.id}").status_code == 200
    assert client.get(f"/overleggen/{meeting.id}").status_code in (200, 404)
    client.get(f"/overleggen/{meeting.id}/overleg.ics")
    form_post(app, client, f"/casussen/{case.id}/personen/nieuw", {"role": "kind", "name": "Anna Fictief-Jansen "
              "(fictief)", "date_of_birth": "2999-01-01", "bsn": "111222333"})  # a 422 with the data echoed
    _login(app, client, db, "privacy@demo.invalid")
    assert form_post(app, client, "/privacy/personen", {"bsn": "111222333"}).status_code == 200
    with app.app_context():
        from mda import db as dbmod
        from mda.core import mail

        # a mail whose subject names a person (it should not, but a log line must never repeat it)
        mail.send(["iemand@demo.invalid"], "Overleg over Anna Fictief-Jansen (fictief)", "tekst")
        try:  # a database error with bound parameters, logged as the error handler would
            with dbmod.engine().connect() as conn:
                # (PostgreSQL's own DETAIL of a constraint error can echo a row: see the README's
                # open points; this statement fails without one)
                conn.execute(text("SELECT * FROM tabel_die_niet_bestaat WHERE name = :name"),
                             {"name": "Anna Fictief-Jansen (fictief) 111222333"})
        except Exception:
            logging.getLogger("mda.test").exception("databasefout")
    lines = [f"{r.getMessage()} {r.exc_text or ''} {r.__dict__}" for r in caplog.records]
    assert lines, "the run logged nothing: the scan proves nothing"
    leaks = sorted({n for line in lines for n in needles if n in line})
    assert leaks == [], f"personal data in log lines: {leaks}"
    # the audit trail outlives the data: its summaries and bases hold no personal data either
    from mda.core.audit import AuditEvent

    db.expire_all()
    trail = [f"{r.summary} {r.basis}" for r in db.exec(select(AuditEvent))]
    assert len(trail) > 10
    assert sorted({n for line in trail for n in needles if n in line}) == []


def test_database_errors_hide_bound_parameters(app):
    """Does a database error's message leave out the bound values (SQLAlchemy hide_parameters)?"""
    from mda import db as dbmod

    with app.app_context():
        engine = dbmod.engine()
        assert engine.hide_parameters
        with pytest.raises(Exception) as info, engine.connect() as conn:
            conn.execute(text("SELECT * FROM tabel_die_niet_bestaat WHERE x = :bsn"), {"bsn": "111222333"})
    assert "111222333" not in str(info.value)


def test_json_log_lines_carry_no_colour_codes():
    """Is a Werkzeug-style coloured request line written as plain text inside the JSON object?"""
    import io

    from pythonjsonlogger.json import JsonFormatter

    from mda.core.logs import _strip_colours

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(_strip_colours)
    handler.setFormatter(JsonFormatter("%(message)s"))
    logger = logging.getLogger("test.colours")
    logger.addHandler(handler)
    try:
        logger.warning('"%s" %s', "GET / HTTP/1.1", "\x1b[33m404\x1b[0m")
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue().strip()
    assert "\\u001b" not in line and "\x1b" not in line
    assert json.loads(line)["message"] == '"GET / HTTP/1.1" 404'
