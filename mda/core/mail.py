"""Outgoing e-mail, sent only after the unit of work that caused it commits.

With ``MDA_SMTP_HOST`` set, mail goes out over SMTP (STARTTLS by default).
Without it, each message is written as an ``.eml`` file to ``instance/outbox``
and shown to administrators on the development outbox page.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app, has_request_context, url_for

from mda import db
from mda.core.timeutil import utcnow

log = logging.getLogger(__name__)


@dataclass
class Attachment:
    """A file attached to a message."""

    filename: str
    content: bytes
    maintype: str
    subtype: str
    params: dict[str, str] = field(default_factory=dict)


def public_url(endpoint: str, **values) -> str:
    """An absolute link for e-mail and calendar files, built on ``MDA_BASE_URL``.

    Never on the request's Host header: a forged Host would otherwise put an attacker's
    address into set-password and invitation links.
    """
    if has_request_context():
        return current_app.config["BASE_URL"] + url_for(endpoint, **values)
    with current_app.test_request_context("/"):  # CLI and background jobs: same rules, no request
        return current_app.config["BASE_URL"] + url_for(endpoint, **values)


def build_message(
    to: list[str], subject: str, body: str, attachments: list[Attachment] = ()
) -> EmailMessage:
    """Compose a plain-text message from the configured sender."""
    settings = current_app.config["SMTP"]
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="mda.invalid")
    msg.set_content(body)
    for att in attachments:
        msg.add_attachment(
            att.content,
            maintype=att.maintype,
            subtype=att.subtype,
            filename=att.filename,
            params=att.params,
        )
    return msg


def send(to: list[str], subject: str, body: str, attachments: list[Attachment] = ()) -> None:
    """Queue a message; it is delivered after the current unit of work commits."""
    msg = build_message(to, subject, body, list(attachments))
    app = current_app._get_current_object()
    db.after_commit(lambda: deliver(app, msg))


def deliver(app, msg: EmailMessage) -> None:
    """Hand *msg* to SMTP, or write it to the outbox folder (counted for /metrics either way)."""
    from mda.core import metrics

    transport = "smtp" if app.config["SMTP"].host else "outbox"
    try:
        _deliver(app, msg)
    except Exception:
        metrics.MAIL.labels(transport, "failed").inc()
        raise
    metrics.MAIL.labels(transport, "ok").inc()


def _deliver(app, msg: EmailMessage) -> None:
    settings = app.config["SMTP"]
    if settings.host:
        with smtplib.SMTP(settings.host, settings.port, timeout=30) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(msg)
        return
    outbox = Path(app.config["OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    # the time orders the outbox; the random part keeps two messages of one instant apart (a job sends
    # its messages within one frozen instant in tests, and processes may write at the same microsecond)
    name = f"{utcnow().strftime('%Y%m%dT%H%M%S%f')}-{secrets.token_hex(4)}.eml"
    (outbox / name).write_bytes(bytes(msg))
    # the subject may name a meeting or case: no personal data in log lines, so only the file
    log.info("mail written to outbox", extra={"file": name})


def outbox_messages(app, limit: int = 50) -> list[tuple[str, EmailMessage]]:
    """The newest messages in the development outbox."""
    from email import policy
    from email.parser import BytesParser

    outbox = Path(app.config["OUTBOX_DIR"])
    if not outbox.exists():
        return []
    files = sorted(outbox.glob("*.eml"), reverse=True)[:limit]
    parser = BytesParser(policy=policy.default)
    return [(f.name, parser.parsebytes(f.read_bytes())) for f in files]
