"""Structured (JSON) logs on stderr, one object per line."""

from __future__ import annotations

import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

#: terminal colour codes (Werkzeug colours its request lines); they have no place in a JSON value
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _strip_colours(record: logging.LogRecord) -> bool:
    """Log filter: the message with its arguments filled in and every ANSI escape sequence removed."""
    message = record.getMessage()
    if "\x1b" in message:
        record.msg, record.args = _ANSI.sub("", message), ()
    return True


def init_logging(level: str = "INFO") -> None:
    """Send JSON lines to stderr; safe to call more than once."""
    root = logging.getLogger()
    if any(getattr(h, "_mda", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_strip_colours)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                       rename_fields={"asctime": "time", "levelname": "level"}))
    handler._mda = True
    root.addHandler(handler)
    root.setLevel(level)
