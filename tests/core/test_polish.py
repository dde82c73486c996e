"""Small things users noticed: links follow the port, a favicon, no colour codes in JSON logs, the menu shows
the current page, "tekens" everywhere, Dutch holiday names."""

from __future__ import annotations

import json
import logging

from mda.config import load_config


def test_base_url_follows_the_port_when_not_set(tmp_path):
    """Without MDA_BASE_URL, do links in mail and calendars point at the port the server runs on, and does an
    explicit MDA_BASE_URL still win?"""
    assert load_config(str(tmp_path), {"MDA_PORT": "5077"})["BASE_URL"] == "http://127.0.0.1:5077"
    assert load_config(str(tmp_path), {})["BASE_URL"] == "http://127.0.0.1:5000"
    explicit = load_config(str(tmp_path), {"MDA_PORT": "5077", "MDA_BASE_URL": "https://mda.example.nl/"})
    assert explicit["BASE_URL"] == "https://mda.example.nl"


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


def test_favicon_is_served_locally(client):
    """Does /favicon.ico answer with the local SVG icon (no 404 on every page, nothing external)?"""
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml" and b"<svg" in resp.data


def test_menu_marks_the_current_page(client, login_as):
    """Does the main menu mark the page the user is on with aria-current, and only that entry?"""
    login_as(roles=("coordinator",))
    html = client.get("/overleggen/week").text
    assert html.count('aria-current="page"') == 1
    assert 'href="/overleggen/week" aria-current="page"' in html
    html = client.get("/").text
    assert 'href="/" aria-current="page"' in html and html.count('aria-current="page"') == 1


def test_length_messages_say_tekens(app):
    """Does a too-long field say "tekens" (as the rest of the interface), not "karakters"?"""
    from flask_wtf import FlaskForm
    from wtforms import StringField
    from wtforms.validators import Length

    class Probe(FlaskForm):
        text = StringField("Tekst", validators=[Length(max=3)])

    with app.test_request_context(method="POST", data={"text": "veel te lang"}):
        form = Probe(meta={"csrf": False})
        assert not form.validate()
        (message,) = form.text.errors
        assert "tekens" in message and "karakter" not in message
