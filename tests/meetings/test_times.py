"""Local times and series: stored in UTC, entered and repeated in Europe/Amsterdam wall-clock time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import func, select

from mda.core.timeutil import LocalTimeError, local_to_utc, parse_local
from mda.meetings.models import Meeting, MeetingSeries
from mda.meetings.series import MAX_OCCURRENCES, SeriesError, occurrences
from tests.conftest import csrf_token, form_post, text_of
from tests.meetings.conftest import AMS, future_monday, local


def test_a_time_in_the_spring_gap_does_not_exist_and_the_valid_one_is_offered():
    """Is 2027-03-28 02:30 refused as non-existent, with 03:30 offered instead?"""
    with pytest.raises(LocalTimeError) as exc:
        local_to_utc(date(2027, 3, 28), time(2, 30))
    assert exc.value.kind == "bestaat_niet"
    assert "bestaat niet" in str(exc.value) and "03:30" in str(exc.value)
    assert list(exc.value.suggestions) == ["03:30"]
    assert exc.value.suggestions["03:30"] == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


def test_a_time_in_the_autumn_overlap_is_ambiguous_until_a_reading_is_chosen():
    """Is 2026-10-25 02:30 refused as ambiguous, and are both readings (summer, winter time) accepted when chosen?"""
    with pytest.raises(LocalTimeError) as exc:
        local_to_utc(date(2026, 10, 25), time(2, 30))
    assert exc.value.kind == "dubbel" and "twee keer" in str(exc.value)
    assert local_to_utc(date(2026, 10, 25), time(2, 30), dst="zomertijd") == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert local_to_utc(date(2026, 10, 25), time(2, 30), dst="wintertijd") == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_ordinary_local_times_convert_to_utc_in_summer_and_winter():
    """Is 10:00 local 08:00 UTC in summer and 09:00 UTC in winter; and is an explicit offset kept exactly?"""
    assert local_to_utc(date(2026, 7, 1), time(10)) == datetime(2026, 7, 1, 8, tzinfo=UTC)
    assert local_to_utc(date(2026, 12, 1), time(10)) == datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert parse_local("2026-12-01T10:00+01:00") == datetime(2026, 12, 1, 9, tzinfo=UTC)


def test_weekly_series_keeps_its_local_time_across_the_dst_change():
    """Does a weekly 10:00 series from October into November stay at 10:00 local (08:00 then 09:00 UTC)?"""
    starts = occurrences("wekelijks", local(2026, 10, 13), date(2026, 11, 3))
    assert [s.astimezone(AMS).strftime("%d-%m %H:%M") for s in starts] == [
        "13-10 10:00", "20-10 10:00", "27-10 10:00", "03-11 10:00"]
    assert [s.hour for s in starts] == [8, 8, 9, 9]


def test_fortnightly_and_monthly_series():
    """Does 'om de week' skip a week, and 'maandelijks' keep the n-th weekday (2nd Tuesday)?"""
    assert len(occurrences("tweewekelijks", local(2026, 11, 3), date(2026, 12, 31))) == 5
    monthly = occurrences("maandelijks", local(2026, 11, 10), date(2027, 3, 31))  # 2nd Tuesday
    assert [s.astimezone(AMS).date() for s in monthly] == [
        date(2026, 11, 10), date(2026, 12, 8), date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9)]


def test_series_needs_an_end_within_a_sensible_cap():
    """Is a series without an end, ending before it starts, or running over a year refused in Dutch?"""
    with pytest.raises(SeriesError, match="einddatum nodig"):
        occurrences("wekelijks", local(2026, 11, 3), None)
    with pytest.raises(SeriesError, match="vóór de eerste keer"):
        occurrences("wekelijks", local(2026, 11, 3), date(2026, 10, 1))
    with pytest.raises(SeriesError, match="hoogstens een jaar"):
        occurrences("wekelijks", local(2026, 11, 3), date(2028, 1, 1))
    assert len(occurrences("wekelijks", local(2026, 11, 3), date(2027, 11, 3))) <= MAX_OCCURRENCES


def _form(world, **overrides):
    data = {"type_code": "mda-conferentie", "title": "MDA++-conferentie", "day": "2027-03-28",
            "start_time": "02:30", "end_time": "04:00", "location": "Zaal 1", "chair_id": "0",
            "minute_taker_id": "0", "case_ids": [str(world["case_a"].id)], "case_minutes": "30",
            "agenda-0-title": "Opening", "agenda-0-minutes": "5", "agenda-1-title": "Casus",
            "agenda-1-cases": "1", "frequency": ""}
    data.update(overrides)
    return data


def test_form_refuses_a_non_existent_time_and_offers_the_valid_one(app, client, auth, db, world):
    """Does the form refuse 2027-03-28 02:30 with a Dutch message offering 03:30, and save nothing?"""
    auth.login(world["coordinator"])
    resp = form_post(app, client, "/overleggen/nieuw?type=mda-conferentie", _form(world))
    assert resp.status_code == 422  # refused: nothing saved, the form again
    assert "bestaat niet in Europe/Amsterdam" in text_of(resp.text) and "Bedoelt u 03:30" in text_of(resp.text)
    assert 'value="03:30"' in resp.text
    assert db.exec(select(func.count()).select_from(Meeting)).one() == 0


def test_form_asks_which_reading_of_an_ambiguous_time(app, client, auth, db, world):
    """Does the form ask summer or winter time for 2026-10-25 02:30, and save the chosen reading?"""
    auth.login(world["coordinator"])
    form = _form(world, day="2026-10-25", start_time="02:30", end_time="03:45")
    resp = form_post(app, client, "/overleggen/nieuw?type=mda-conferentie", form)
    assert "komt twee keer voor" in text_of(resp.text) and 'value="wintertijd"' in resp.text
    assert db.exec(select(func.count()).select_from(Meeting)).one() == 0
    resp = form_post(app, client, "/overleggen/nieuw?type=mda-conferentie",
                     {**form, "dst": "wintertijd", "confirm_conflicts": "y"})
    assert resp.status_code == 302, text_of(resp.text)[:2000]
    meeting = db.exec(select(Meeting)).one()
    assert meeting.starts_at.replace(tzinfo=UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_end_before_start_is_refused_and_nothing_is_saved(app, client, auth, db, world):
    """Is an end before the start refused with a clear Dutch message, leaving no meeting behind?"""
    auth.login(world["coordinator"])
    resp = form_post(app, client, "/overleggen/nieuw?type=mda-conferentie",
                     _form(world, day="2026-12-01", start_time="11:00", end_time="10:00"))
    assert "ligt niet na het begin" in text_of(resp.text)
    assert db.exec(select(func.count()).select_from(Meeting)).one() == 0


def test_series_without_end_or_beyond_the_cap_is_refused(app, client, auth, db, world):
    """Is a weekly series without an end date, or ending after a year, refused with nothing saved?"""
    auth.login(world["coordinator"])
    day = future_monday(weeks=3).date()  # a date in the past would first ask to confirm that
    base = _form(world, type_code="casuistiekoverleg", day=str(day), start_time="10:00", end_time="12:00",
                 frequency="wekelijks")
    resp = form_post(app, client, "/overleggen/nieuw?type=casuistiekoverleg", base)
    assert "einddatum nodig" in text_of(resp.text)
    too_late = str(day + timedelta(days=540))
    resp = form_post(app, client, "/overleggen/nieuw?type=casuistiekoverleg", {**base, "until": too_late})
    assert "hoogstens een jaar" in text_of(resp.text)
    assert db.exec(select(func.count()).select_from(Meeting)).one() == 0
    assert db.exec(select(func.count()).select_from(MeetingSeries)).one() == 0


def test_api_refuses_a_non_existent_local_time_with_the_valid_choice(app, client, auth, db, world):
    """Does the API answer 422 with the Dutch message and the valid moment in details.suggestions?"""
    auth.login(world["coordinator"])
    body = {"type": "mda-conferentie", "title": "Conferentie", "start": "2027-03-28T02:30", "end": "2027-03-28T04:30",
            "location": "Zaal 1", "case_ids": [world["case_a"].id]}
    resp = client.post("/api/v1/meetings", json=body, headers={"X-CSRFToken": csrf_token(app, client)})
    assert resp.status_code == 422
    payload = resp.get_json()
    assert "bestaat niet" in payload["message"] and payload["details"]["field"] == "start"
    assert payload["details"]["suggestions"] == {"03:30": "2027-03-28T01:30:00Z"}
    body.update(start="2026-10-25T02:30", end="2026-10-25T04:00")
    resp = client.post("/api/v1/meetings", json=body, headers={"X-CSRFToken": csrf_token(app, client)})
    assert resp.status_code == 422 and set(resp.get_json()["details"]["suggestions"]) == {"zomertijd", "wintertijd"}
    assert db.exec(select(func.count()).select_from(Meeting)).one() == 0
