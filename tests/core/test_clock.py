"""The application's clock and the rule that nothing else reads the machine's time."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mda.core import clock
from tests.conftest import A_SATURDAY, TEST_NOW, working_day

ROOT = Path(__file__).resolve().parents[2]
#: calls that read the machine's clock or calendar
REAL_CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
                    ("time", "time"), ("time", "time_ns")}
#: a line may read the machine's time when it says why: protocol timers that are not the domain's
ALLOWED_MARK = "real clock:"


def _real_clock_reads(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            if (name, node.func.attr) in REAL_CLOCK_CALLS and ALLOWED_MARK not in lines[node.lineno - 1]:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    return found


def test_nothing_but_the_clock_reads_the_machines_time():
    """Does every "now" and "today" in mda/ and tests/ go through mda.core.clock (or say why not)?

    bench/ is left out on purpose: it measures real durations against servers on the real time."""
    files = [p for folder in ("mda", "tests") for p in (ROOT / folder).rglob("*.py")]
    reads = [r for p in files if p != ROOT / "mda/core/clock.py" for r in _real_clock_reads(p)]
    assert reads == []


def test_the_guard_finds_a_real_clock_read(tmp_path):
    """Would the guard above notice a test that adds seven days to date.today()?"""
    probe = ROOT / "tests" / "core" / "_probe_real_clock.py"
    probe.write_text("from datetime import date, timedelta\nDAY = date.today() + timedelta(days=7)\n")
    try:
        assert _real_clock_reads(probe) == ["tests/core/_probe_real_clock.py:2: DAY = date.today() + timedelta(days=7)"]
    finally:
        probe.unlink()


def test_each_test_starts_at_the_named_instant(clock_start):
    """Does a test without a mark start at TEST_NOW, whatever the machine's date?"""
    assert clock_start == TEST_NOW
    assert timedelta(0) <= clock.now() - TEST_NOW < timedelta(minutes=5)
    assert clock.today() == TEST_NOW.date()


@pytest.mark.now(A_SATURDAY)
def test_a_mark_names_another_instant():
    """Does ``@pytest.mark.now`` start the test on the Saturday it names?"""
    assert clock.today() == A_SATURDAY.date() and clock.today().weekday() == 5


def test_a_ticking_clock_runs_on_and_a_frozen_one_stands_still():
    """Does the clock run on from a ticking start, stand still when frozen, and come back after the block?"""
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    before = clock.now()
    with clock.frozen(start):
        assert clock.now() == start == clock.now()
    assert clock.now() >= before
    clock.set_now(start, tick=True)
    first = clock.now()
    assert first >= start and clock.now() >= first


def test_a_naive_instant_is_read_as_utc():
    """Is a naive datetime (as SQLite returns it) taken as UTC when the clock is set?"""
    with clock.frozen(datetime(2026, 10, 25, 1, 30)):
        assert clock.now() == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


@pytest.mark.now(A_SATURDAY)
def test_a_working_day_next_week_is_never_a_weekend_or_holiday():
    """Asked on a Saturday for a working day a week ahead, and on Christmas Eve for the next one, does
    the helper skip the weekend and both Christmas days?"""
    assert working_day(7).weekday() < 5
    christmas_eve = datetime(2026, 12, 24).date()
    assert working_day(1, after=christmas_eve).isoformat() == "2026-12-28"
