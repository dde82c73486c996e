"""An e-mail round trip through a real SMTP server started by the test (aiosmtpd on a free port)."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar

from mda.config import SmtpSettings
from tests.conftest import form_post
from tests.meetings.conftest import personal_strings


class Collector:
    """Keeps every message the server accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on a free port; the app sends its mail there (no STARTTLS)."""
    collector = Collector()
    port = _free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    original = app.config["SMTP"]  # the app object may be reused by later tests: restore it afterwards
    app.config["SMTP"] = SmtpSettings(host="127.0.0.1", port=port, username=None, password=None, starttls=False,
                                      sender="MDA++ <noreply@mda.invalid>")
    yield collector
    app.config["SMTP"] = original
    controller.stop()


def _calendar(message) -> Calendar:
    part = next(p for p in message.iter_attachments() if p.get_content_type() == "text/calendar")
    content = part.get_content()
    return Calendar.from_ical(content if isinstance(content, bytes) else content.encode())


def test_invitation_and_cancellation_round_trip_over_smtp(app, client, auth, db, world, plan, smtp_server):
    """Does inviting a partner deliver a METHOD:REQUEST e-mail over SMTP (to that partner only, from the
    configured sender, readable by icalendar, without personal data), and cancelling a METHOD:CANCEL?"""
    meeting = plan(type_code="mda-conferentie", cases=[world["case_a"]], minutes=90)
    vt = world["users"]["VT"]
    auth.login(world["coordinator"])
    resp = form_post(app, client, f"/overleggen/{meeting.id}/uitnodigen", {"user_id": vt.id, "required": "y"})
    assert resp.status_code == 302
    ((recipients, message),) = smtp_server.messages
    assert recipients == [vt.email] and message["From"] == "MDA++ <noreply@mda.invalid>"
    cal = _calendar(message)
    (event,) = cal.walk("VEVENT")
    assert str(cal["METHOD"]) == "REQUEST" and world["case_a"].reference in str(event["DESCRIPTION"])
    raw = message.as_string()
    for needle in personal_strings(world["persons"]):
        assert needle not in raw
    resp = form_post(app, client, f"/overleggen/{meeting.id}/annuleren", {"scope": "deze", "reason": "Zaal bezet"})
    assert resp.status_code == 302
    recipients, cancel = smtp_server.messages[-1]
    assert recipients == [vt.email]
    cal = _calendar(cancel)
    (gone,) = cal.walk("VEVENT")
    assert str(cal["METHOD"]) == "CANCEL" and gone["UID"] == event["UID"] and gone["SEQUENCE"] > event["SEQUENCE"]
