"""Set-password and calendar-feed tokens never reach a log line (ours, the WSGI server's) nor an admin's page."""

from __future__ import annotations

import logging

import pytest

from mda.core.redact import redact

TOKEN = "Zx9_geheim-Token-1234567890abcdef"


@pytest.mark.parametrize("line,expected", [
    (f'"GET /wachtwoord-instellen/{TOKEN} HTTP/1.1" 200', '"GET /wachtwoord-instellen/[verborgen] HTTP/1.1" 200'),
    (f'"POST /wachtwoord-instellen/{TOKEN}?x=1 HTTP/1.1"', '"POST /wachtwoord-instellen/[verborgen]?x=1 HTTP/1.1"'),
    (f'"GET /overleggen/feed/{TOKEN}.ics HTTP/1.1" 200', '"GET /overleggen/feed/[verborgen].ics HTTP/1.1" 200'),
    (f"https://mda.test/wachtwoord-instellen/{TOKEN}\n", "https://mda.test/wachtwoord-instellen/[verborgen]\n"),
    ('"GET /overleggen/week HTTP/1.1" 200', '"GET /overleggen/week HTTP/1.1" 200'),
])
def test_redact_hides_capability_tokens_only(line, expected):
    """Are tokens in set-password and feed paths replaced, and other paths left alone?"""
    assert redact(line) == expected


@pytest.mark.parametrize("logger_name", ["werkzeug", "gunicorn.access"])
def test_request_log_lines_carry_no_token(app, caplog, logger_name):
    """Does a request line logged by the development server or gunicorn omit the token in the path?"""
    with caplog.at_level(logging.INFO, logger=logger_name):
        logging.getLogger(logger_name).info('%s - - [x] "%s" %s -', "127.0.0.1",
                                            f"GET /wachtwoord-instellen/{TOKEN} HTTP/1.1", "200")
        logging.getLogger(logger_name).info('"GET /overleggen/feed/%s.ics HTTP/1.1" 200', TOKEN)
    assert caplog.records, "the lines were logged"
    assert all(TOKEN not in r.getMessage() for r in caplog.records)
    assert "/wachtwoord-instellen/[verborgen]" in caplog.text


def test_our_own_logs_carry_no_token(app, caplog):
    """Does an application log line that happens to contain a feed URL omit the token?"""
    with caplog.at_level(logging.INFO):
        logging.getLogger("mda.test").info("feed opgehaald: %s", f"/overleggen/feed/{TOKEN}.ics")
    assert TOKEN not in caplog.text


PG_MESSAGE = ('duplicate key value violates unique constraint "ix_app_user_email"\n'
              "DETAIL:  Key (email)=(jan.fictief@demo.invalid) already exists.")


def test_redact_hides_the_rows_a_database_error_quotes():
    """Does a PostgreSQL error's DETAIL line (the key or failing row it quotes) lose its values, the rest kept?"""
    cleaned = redact(PG_MESSAGE + "\nCONTEXT:  COPY person, line 1: \"Jan Fictief\"")
    assert "jan.fictief" not in cleaned and "Jan Fictief" not in cleaned
    assert "duplicate key value violates unique constraint" in cleaned and "DETAIL: [verborgen]" in cleaned


def _log_through_the_apps_handler(app, exc: BaseException) -> str:
    import io

    from mda.core.redact import install_log_redaction

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    install_log_redaction()
    try:
        try:
            raise exc
        except Exception:
            logging.getLogger("mda.core.errors").exception("unhandled error on %s %s", "POST", "/x")
    finally:
        root.removeHandler(handler)
    return stream.getvalue()


def test_a_logged_database_error_quotes_no_personal_data(app, db, make_user):
    """When an unhandled database error is logged with its traceback, is the value it quotes hidden?"""
    from sqlalchemy.exc import IntegrityError

    class FakePgError(Exception):
        pass

    logged = _log_through_the_apps_handler(app, IntegrityError("INSERT INTO app_user …", {}, FakePgError(PG_MESSAGE)))
    assert "unhandled error on POST /x" in logged and "Traceback" in logged
    assert "jan.fictief@demo.invalid" not in logged and "DETAIL: [verborgen]" in logged

    # and a real one from the database under test (PostgreSQL quotes the key; SQLite names only the column)
    user = make_user()
    db.commit()
    try:
        db.exec(__import__("sqlalchemy").text(
            "INSERT INTO app_user (email, name, organisation_id, roles_text, password_hash, active, is_demo, "
            "totp_enabled, totp_last_step, failed_logins, session_version, created_at) SELECT email, name, "
            "organisation_id, roles_text, password_hash, active, is_demo, totp_enabled, totp_last_step, "
            "failed_logins, session_version, created_at FROM app_user WHERE id = :i"), params={"i": user.id})
        pytest.fail("the duplicate e-mail address was accepted")
    except IntegrityError as exc:
        db.rollback()
        logged = _log_through_the_apps_handler(app, exc)
    assert user.email not in logged
