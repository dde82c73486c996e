"""Checks on entered personal data: the BSN elfproef, dates of birth, names for matching."""

from datetime import date, timedelta

import pytest

from mda.cases import validation


@pytest.mark.parametrize("bsn", ["111222333", "123456782", "12345678 2", "12345672"])
def test_valid_bsns_pass_the_elfproef(bsn):
    """Do well-known test BSNs (also with a space, or with 8 digits) pass?"""
    assert validation.bsn_problem(bsn) is None


@pytest.mark.parametrize("bsn,message", [("123456789", "elfproef"), ("111222334", "elfproef"),
                                         ("000000000", "elfproef"), ("12345", "9 cijfers"), ("abcdefghi", "9 cijfers")])
def test_invalid_bsns_get_a_dutch_message(bsn, message):
    """Does a BSN that fails the elfproef or has the wrong length get a Dutch message?"""
    assert message in validation.bsn_problem(bsn)


def test_birth_date_in_the_future_is_refused():
    """Is a date of birth after today refused, and today itself accepted?"""
    tomorrow = validation.today() + timedelta(days=1)
    assert validation.birth_date_problem(tomorrow) == "De geboortedatum ligt in de toekomst."
    assert validation.birth_date_problem(validation.today()) is None
    assert "1900" in validation.birth_date_problem(date(1850, 1, 1))


def test_names_match_regardless_of_case_accents_and_spacing():
    """Do 'Chloë  Fictief-Jansen' and 'chloe fictief jansen' count as the same name?"""
    assert validation.normalise_name("Chloë  Fictief-Jansen") == validation.normalise_name("chloe fictief jansen")


def test_age_on_a_day():
    """Is the age counted in whole years, birthday included?"""
    assert validation.age_on(date(2010, 6, 1), date(2026, 6, 1)) == 16
    assert validation.age_on(date(2010, 6, 1), date(2026, 5, 31)) == 15
