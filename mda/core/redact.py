"""Secrets that travel in URL paths (set-password links, personal calendar feeds), kept out of
log lines and out of pages that show mail.

A set-password link is as good as the account until it is used; a feed address shows a
professional's agenda to whoever has it. Both are capability URLs, so they must not be
written to logs (ours, the WSGI server's, the reverse proxy's; see README, Security) nor be
shown to an administrator in the development outbox.
"""

from __future__ import annotations

import logging
import re

HIDDEN = "[verborgen]"
#: path prefixes whose next segment is a secret token
_SECRET_PATH = re.compile(r"(/wachtwoord-instellen/|/overleggen/feed/)([^/?#\s\"'<>]+?)(\.ics)?(?=[/?#\s\"'<>]|$)")


#: PostgreSQL's DETAIL and CONTEXT lines quote the row or key that failed ("Key (email)=(…) already exists",
#: "Failing row contains (…)"): personal data that ``hide_parameters`` does not reach
_DB_DETAIL = re.compile(r"^(\s*(?:DETAIL|CONTEXT):)[^\n]*", re.M)


def redact(text: str) -> str:
    """*text* with every token in a set-password or feed path, and every database detail line, hidden."""
    text = _SECRET_PATH.sub(lambda m: m.group(1) + HIDDEN + (m.group(3) or ""), text)
    return _DB_DETAIL.sub(lambda m: m.group(1) + " " + HIDDEN, text) if "DETAIL:" in text or "CONTEXT:" in text \
        else text


class RedactSecretsFilter(logging.Filter):
    """A logging filter that redacts capability tokens from the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's own error path
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and record.exc_info[1] is not None:  # the traceback quotes the database's message
            text = record.exc_text or _FORMATTER.formatException(record.exc_info)
            record.exc_info, record.exc_text = None, redact(text)
        return True


_FORMATTER = logging.Formatter()


#: loggers that write request lines: the development server and gunicorn's access log
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def install_log_redaction() -> None:
    """Attach the filter to the request loggers and to the root handlers (idempotent)."""
    loggers = [logging.getLogger(name) for name in REQUEST_LOGGERS]
    targets = [*loggers, *logging.getLogger().handlers]
    for target in targets:
        if not any(isinstance(f, RedactSecretsFilter) for f in target.filters):
            target.addFilter(RedactSecretsFilter())
