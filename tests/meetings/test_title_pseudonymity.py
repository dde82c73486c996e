"""Meeting titles go into invitations, ICS files and feeds: no name of a person of the cases concerned."""

from __future__ import annotations

import pytest

from mda.meetings.models import Meeting
from mda.meetings.services import MeetingError, check_title_pseudonymous, name_words
from tests.conftest import csrf_token, form_post


def test_name_words_cover_first_names_surnames_and_hyphenated_parts():
    """Are first name, a hyphenated surname whole and in parts, and accented letters all name words,
    while particles and the demo marker are not?"""
    assert name_words("Chloë van der Fictief-Jansen (fictief)") == {"chloe", "fictief-jansen", "jansen"}


@pytest.mark.parametrize("title", ["Overleg Verzonnen-Achternaam", "overleg achternaam", "Kees en zijn moeder",
                                   "Casus FENNA"])
def test_a_surname_or_first_name_is_refused(db, world, title):
    """Is a title with only a surname, a part of it or a first name (any case) refused?"""
    with pytest.raises(MeetingError):
        check_title_pseudonymous(db, title, [world["case_a"].id])


def test_a_neutral_title_is_accepted(db, world):
    """Is a title without names accepted, also when its words merely contain a first name of the case
    ("Keeshond", "Fennaweg"), while the same title with that first name as a word of its own is refused?"""
    title = "Casuïstiekoverleg week 49: Keeshond en Fennaweg"
    check_title_pseudonymous(db, title, [world["case_a"].id])
    with pytest.raises(MeetingError):  # control: the checker does know these first names
        check_title_pseudonymous(db, f"{title} Kees", [world["case_a"].id])


def test_adding_a_case_whose_person_the_title_names_is_refused_on_page_and_api(app, client, auth, db, world,
                                                                              plan):
    """When a case is added to an existing meeting whose title names a person of that case, is it refused
    by the page and by the API, and the agenda left unchanged?"""
    meeting = plan(cases=[world["case_b"]], title="Overleg Verzonnen")  # fine for case B
    auth.login(world["coordinator"])
    before = client.get(f"/api/v1/meetings/{meeting.id}/items").get_json()
    form_post(app, client, f"/overleggen/{meeting.id}/casussen", {"case_id": world["case_a"].id, "minutes": 20})
    resp = client.post(f"/api/v1/meetings/{meeting.id}/items", json={"case_id": world["case_a"].id, "minutes": 20},
                       headers={"X-CSRFToken": csrf_token(app, client)})
    assert resp.status_code == 422 and "naam van een betrokkene" in resp.get_json()["message"]
    assert client.get(f"/api/v1/meetings/{meeting.id}/items").get_json() == before
    db.expire_all()
    assert db.get(Meeting, meeting.id).title == "Overleg Verzonnen"
