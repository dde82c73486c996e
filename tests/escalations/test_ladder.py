"""The escalation ladder as data: validation with file and line, and time limits in working days or hours."""

from datetime import date, datetime

import pytest

from mda.core.timeutil import LOCAL_TZ
from mda.escalations import ladder
from tests.escalations.conftest import at

GOOD = """name = "Testladder"
[[level]]
number = 1
name = "Uitvoerend"
regular_days = 2
acute_hours = 4
deciders = { "*" = ["team_lead"] }
"""


def test_demodam_ladder_has_three_levels_with_limits():
    """Does the Demodam file give levels 1-3, team leads at level 1 and the ZVH bestuurder at the top?"""
    lad = ladder.ladder("DEMODAM")
    assert [lv.number for lv in lad.levels] == [1, 2, 3]
    assert lad.level(1).roles_for("VT") == {"team_lead"}
    assert lad.level(3).roles_for("ZVH") == {"bestuurder"} and not lad.level(3).roles_for("VT")
    assert lad.level(2).meeting and not lad.level(1).meeting


def test_a_region_without_a_file_uses_the_default_ladder():
    """Does a region without a ladder file still get three levels (not a crash)?"""
    assert ladder.ladder("NERGENS").top == 3


@pytest.mark.parametrize("broken, message", [
    (GOOD.replace("regular_days = 2", "regular_days = 0"), "regular_days"),
    (GOOD.replace('"*" = ["team_lead"]', '"XYZ" = ["team_lead"]'), "onbekend organisatietype"),
    (GOOD.replace('["team_lead"]', '["koning"]'), "rollen"),
    (GOOD.replace("number = 1", "number = 2"), "'number' moet 1"),
    ("name = 'leeg'\n", "geen [[level]]"),
    (GOOD + "[[level]\n", ""),
])
def test_a_broken_ladder_is_refused_naming_file_and_line(tmp_path, broken, message):
    """Is a malformed ladder refused with the file name, the line and what is wrong?"""
    path = tmp_path / "TEST.toml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ladder.LadderError) as err:
        ladder.validate_all(tmp_path)
    assert "TEST.toml" in str(err.value) and message in str(err.value)
    if message and "[[level]]" not in message:
        assert "regel 2" in str(err.value)  # the [[level]] header is on line 2


def test_the_app_does_not_start_with_a_broken_ladder(app_config, tmp_path):
    """Does start-up stop with the ladder's problem instead of running with a wrong ladder?"""
    from mda import create_app

    (tmp_path / "BAD.toml").write_text(GOOD.replace("acute_hours = 4", "acute_hours = -1"), encoding="utf-8")
    with pytest.raises(SystemExit):
        create_app({**app_config, "LADDERS_DIR": str(tmp_path)})


def test_a_deadline_over_christmas_skips_both_holidays_and_the_weekend():
    """Raised on Thursday 24 December 2026 at 10:00, does a 2-working-day limit skip Christmas (Fri), Boxing Day
    and the weekend, and end on Tuesday 29 December at 10:00?"""
    level = ladder.ladder("DEMODAM").level(1)
    due = ladder.deadline(level, "regulier", at(date(2026, 12, 24), 10))
    assert due.astimezone(LOCAL_TZ) == datetime(2026, 12, 29, 10, 0, tzinfo=LOCAL_TZ)


def test_raised_on_a_weekend_the_limit_counts_from_the_next_working_day():
    """Raised on Saturday 21 November at 15:00, does the full limit still apply (counting from Monday 00:00)?"""
    level = ladder.ladder("DEMODAM").level(1)
    due = ladder.deadline(level, "regulier", at(date(2026, 11, 21), 15))
    assert due.astimezone(LOCAL_TZ) == datetime(2026, 11, 25, 0, 0, tzinfo=LOCAL_TZ)


def test_a_deadline_across_the_change_to_winter_time_keeps_the_wall_clock_hour():
    """Raised on Friday 23 October 2026 at 16:00 (summer time), does a 2-working-day limit end on Tuesday
    27 October at 16:00 on the wall (winter time), which is 25 hours later in UTC than without the change?"""
    level = ladder.ladder("DEMODAM").level(1)
    start = at(date(2026, 10, 23), 16)
    due = ladder.deadline(level, "regulier", start)
    assert due.astimezone(LOCAL_TZ) == datetime(2026, 10, 27, 16, 0, tzinfo=LOCAL_TZ)
    assert (due - start).total_seconds() == (4 * 24 + 1) * 3600


def test_acute_limits_are_clock_hours_across_the_night():
    """Is an acute limit counted in hours, nights and weekends included?"""
    lv = ladder.ladder("DEMODAM").level(1)
    start = at(date(2026, 11, 21), 22)  # a Saturday evening
    assert (ladder.deadline(lv, "acuut", start) - start).total_seconds() == 4 * 3600
