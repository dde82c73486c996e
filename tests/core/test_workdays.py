"""Working days: Monday to Friday in Amsterdam, Dutch public holidays excluded (mda.core.workdays)."""

from __future__ import annotations

from datetime import date

from mda.core import workdays


def test_weekends_and_dutch_public_holidays_are_no_working_days():
    """Are Christmas, Boxing Day, King's Day and a Saturday no working days, and an ordinary Tuesday one?"""
    assert not workdays.is_working_day(date(2026, 12, 25)) and not workdays.is_working_day(date(2026, 12, 26))
    assert not workdays.is_working_day(date(2027, 4, 27))  # Koningsdag
    assert not workdays.is_working_day(date(2026, 12, 5))  # a Saturday
    assert workdays.is_working_day(date(2026, 12, 8))


def test_kings_day_on_a_sunday_moves_to_the_saturday_before():
    """In 2025, when 27 April was a Sunday, is King's Day Saturday 26 April (and the Sunday itself no holiday)?"""
    assert workdays.holiday_name(date(2025, 4, 26)) == "Koningsdag"
    assert workdays.holiday_name(date(2025, 4, 27)) is None


def test_holiday_names_are_dutch():
    """Is Christmas called "Eerste kerstdag" (not "Christmas Day") in the week view and slot search?"""
    assert workdays.holiday_name(date(2026, 12, 25)) == "Eerste kerstdag"


def test_the_next_working_day_after_christmas_eve_and_new_years_eve():
    """After Thursday 24 December 2026 is the next working day Monday the 28th, and after 31 December Monday
    4 January 2027 (New Year's Day on Friday, then the weekend)?"""
    assert workdays.next_working_day(date(2026, 12, 24)) == date(2026, 12, 28)
    assert workdays.next_working_day(date(2026, 12, 31)) == date(2027, 1, 4)
