"""Where reports go: every run to ``build/bench/`` (gitignored); docs/benchmarks.md only when asked.

docs/benchmarks.md has one marked section per benchmark, so that a run replaces its own and keeps the others.

Each section sits between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``. The databases' sections come
first, then the others in a fixed order; a section this module does not know goes last, and text outside any
marker is kept after them (never dropped).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "benchmarks.md"
BUILD = ROOT / "build" / "bench"
ORDER = ("sqlite", "postgresql", "features", "faults", "live_soak")
INTRO = ("# Benchmarks\n\n`make bench-docs` writes one section per database (SQLite by default, PostgreSQL with "
         "`MDA_BENCH_DATABASE_URL`); `make soak` writes the fault runs and the live soak. Each run replaces its "
         "own section and keeps the others. `make bench` writes its reports to `build/bench/` only.")
_SECTION = re.compile(r"<!-- bench:(\w+) -->\n(.*?)<!-- /bench:\1 -->\n?", re.S)


def merge(current: str, name: str, body: str) -> str:
    """``current`` with section ``name`` replaced by ``body`` (added if missing); every other text kept."""
    sections = {found: text for found, text in _SECTION.findall(current)}
    rest = re.sub(r"^(# Benchmarks|`make bench(-docs)?` writes one section.*)$", "", _SECTION.sub("", current),
                  flags=re.M)
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


def save(name: str, report: str, folder: Path = BUILD) -> Path:
    """Write a run's report to ``build/bench/NAME.md`` (gitignored, replaced by the next run); return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text(report if report.endswith("\n") else report + "\n", encoding="utf-8")
    return path
