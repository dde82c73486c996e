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


def test_an_agenda_item_naming_a_person_is_refused_like_the_title(db, world, plan):
    """Agenda item titles go into every invitee's calendar description: is an item "Veiligheid Fenna" refused for a
    meeting about Fenna's case, on the agenda field, while the same agenda is fine for a case she is not in?"""
    from mda.meetings.agendas import TemplateItem

    agenda = [TemplateItem("Opening", 5), TemplateItem("Veiligheid Fenna", 10),
              TemplateItem("Casusbespreking", 0, True)]
    with pytest.raises(MeetingError, match="Een agendapunt bevat de naam van een betrokkene") as refused:
        plan(cases=[world["case_a"]], agenda=agenda)
    assert refused.value.field == "agenda"
    assert plan(cases=[world["case_b"]], agenda=agenda).id


def test_the_planning_form_refuses_an_agenda_item_with_a_name_and_keeps_the_input(app, client, auth, db, world):
    """Does the planning page answer an agenda row "Gesprek met Kees" for Kees's case with 422, the Dutch message
    and the typed row kept, saving nothing?"""
    from datetime import date

    from sqlmodel import select

    from tests.conftest import text_of
    from tests.meetings.conftest import future_monday

    auth.login(world["coordinator"])
    day: date = future_monday().date()
    data = {"type_code": "casuistiekoverleg", "title": "Casuïstiekoverleg Zuid", "day": f"{day}",
            "start_time": "13:00", "end_time": "15:00", "location": "Stadhuis", "chair_id": "0",
            "minute_taker_id": "0", "case_ids": [str(world["case_a"].id)], "case_minutes": "25",
            "agenda-0-title": "Gesprek met Kees", "agenda-0-minutes": "10",
            "agenda-1-title": "Casusbespreking", "agenda-1-cases": "1", "frequency": ""}
    resp = form_post(app, client, "/overleggen/nieuw?type=casuistiekoverleg", data)
    assert resp.status_code == 422
    assert "Een agendapunt bevat de naam van een betrokkene" in text_of(resp.text)
    assert 'value="Gesprek met Kees"' in resp.text
    assert db.exec(select(Meeting)).first() is None


def test_adding_a_case_whose_person_an_agenda_item_names_is_refused(db, world, plan, service):
    """A meeting about case B has an item "Veiligheid Fenna" (no one of case B): is adding case A, where Fenna is a
    person, refused, the agenda unchanged?"""
    from mda.meetings import services
    from mda.meetings.agendas import TemplateItem

    meeting = plan(cases=[world["case_b"]], agenda=[TemplateItem("Veiligheid Fenna", 10),
                                                    TemplateItem("Casusbespreking", 0, True)])
    with pytest.raises(MeetingError, match="Een agendapunt van dit overleg bevat de naam"):
        service(lambda s, c: services.add_case_item(s, c, s.get(Meeting, meeting.id), world["case_a"].id),
                world["coordinator"])
