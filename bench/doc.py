"""docs/benchmarks.md: one marked section per benchmark, so that a run replaces its own and keeps the others.

Each section sits between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``. The databases' sections come
first, then the others in a fixed order; a section this module does not know goes last, and text outside any
marker is kept after them (never dropped).
"""

from __future__ import annotations

import re
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
ORDER = ("sqlite", "postgresql", "features", "faults", "live_soak")
INTRO = ("# Benchmarks\n\n`make bench` writes one section per database (SQLite by default, PostgreSQL with "
         "`MDA_BENCH_DATABASE_URL`); `make soak` writes the fault runs and the live soak. Each run replaces its "
         "own section and keeps the others.")
_SECTION = re.compile(r"<!-- bench:(\w+) -->\n(.*?)<!-- /bench:\1 -->\n?", re.S)


def merge(current: str, name: str, body: str) -> str:
    """``current`` with section ``name`` replaced by ``body`` (added if missing); every other text kept."""
    sections = {found: text for found, text in _SECTION.findall(current)}
    rest = re.sub(r"^(# Benchmarks|`make bench` writes one section.*)$", "", _SECTION.sub("", current), flags=re.M)
    sections[name] = body
    parts = [INTRO, ""]
    for key in (*[k for k in ORDER if k in sections], *sorted(set(sections) - set(ORDER))):
        parts += [f"<!-- bench:{key} -->", sections[key].strip("\n"), f"<!-- /bench:{key} -->", ""]
    if rest.strip():
        parts += [re.sub(r"\n{3,}", "\n\n", rest.strip("\n")), ""]
    return "\n".join(parts)


def write(name: str, body: str, target: Path = TARGET) -> None:
    """Replace section ``name`` of ``target`` (docs/benchmarks.md by default)."""
    current = target.read_text("utf-8") if target.exists() else ""
    target.write_text(merge(current, name, body), encoding="utf-8")
