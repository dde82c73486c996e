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
