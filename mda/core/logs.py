"""Structured (JSON) logs on stderr, one object per line."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter


def init_logging(level: str = "INFO") -> None:
    """Send JSON lines to stderr; safe to call more than once."""
    root = logging.getLogger()
    if any(getattr(h, "_mda", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                       rename_fields={"asctime": "time", "levelname": "level"}))
    handler._mda = True
    root.addHandler(handler)
    root.setLevel(level)
