"""Chairing controls follow the role: only the chair (or the coordinator standing in) gets them, on the live page
and on the meeting page without script; the server refuses everyone else whatever they send."""

import pytest

from mda.meetings.models import Meeting
from tests.conftest import form_post

CHAIR_BUTTONS = ("Overleg starten", "Volgend agendapunt", "Overleg sluiten")


def _live_page(client, meeting) -> str:
    page = client.get(f"/overleggen/{meeting.id}/live")
    assert page.status_code == 200
    return page.text


def _meeting_page(client, meeting) -> str:
    page = client.get(f"/overleggen/{meeting.id}")
    assert page.status_code == 200
    assert "Live overleg" in page.text  # the live panel is there, so an absent button is not an absent panel
    return page.text


def _start(app, auth, client, world, meeting) -> None:
    assert auth.login(world["coordinator"]).status_code == 302
    assert form_post(app, client, f"/overleggen/{meeting.id}/live/voorzitter/starten").status_code == 302
    auth.logout()


def test_the_chair_gets_the_chairing_buttons_on_both_pages(app, auth, client, world, meeting):
    """Does the chair find *Overleg starten*, *Volgend agendapunt* and *Overleg sluiten* on the live page, and the
    step that fits the meeting's state on the meeting page (start before, next and close once started)?"""
    assert auth.login(world["coordinator"]).status_code == 302
    live = _live_page(client, meeting)
    assert all(label in live for label in CHAIR_BUTTONS) and 'data-actie="starten"' in live
    before = _meeting_page(client, meeting)
    assert "Overleg starten" in before and f"/overleggen/{meeting.id}/live/voorzitter/starten" in before
    assert form_post(app, client, f"/overleggen/{meeting.id}/live/voorzitter/starten").status_code == 302
    started = _meeting_page(client, meeting)
    assert "Volgend agendapunt" in started and "Overleg sluiten" in started


@pytest.mark.parametrize("started", [False, True], ids=["niet gestart", "bezig"])
def test_a_participant_who_does_not_chair_gets_no_chairing_buttons(app, auth, client, world, meeting, started):
    """Does an invited police professional, who does not chair, get none of the chairing buttons (nor their form
    addresses) on the live page or on the meeting page, before and during the meeting?"""
    if started:
        _start(app, auth, client, world, meeting)
    assert auth.login(world["users"]["POL"]).status_code == 302
    for html in (_live_page(client, meeting), _meeting_page(client, meeting)):
        assert not any(label in html for label in CHAIR_BUTTONS)
        assert "data-actie=" not in html and "/live/voorzitter/" not in html


def test_whoever_the_chair_is_handed_to_gets_the_buttons(app, auth, client, db, world, meeting):
    """When the chair is handed to the VT professional, does she get the chairing buttons on both pages while the
    police professional still does not?"""
    row = db.get(Meeting, meeting.id)
    row.chair_id = world["users"]["VT"].id
    db.add(row)
    db.commit()
    assert auth.login(world["users"]["VT"]).status_code == 302
    assert all(label in _live_page(client, meeting) for label in CHAIR_BUTTONS)
    assert "Overleg starten" in _meeting_page(client, meeting)
    auth.logout()
    assert auth.login(world["users"]["POL"]).status_code == 302
    assert not any(label in _live_page(client, meeting) + _meeting_page(client, meeting) for label in CHAIR_BUTTONS)


def test_a_chairing_step_from_someone_who_does_not_chair_is_refused(app, auth, client, world, meeting, live):
    """Without the buttons, may the police professional still start the meeting by sending the event or posting
    the form? (Refused: "Alleen de voorzitter kan dit doen." on the socket, 403 on the form.)"""
    pol = live(world["users"]["POL"])
    assert pol.send("deelnemen", {"overleg": meeting.id})["ok"]
    answer = pol.send("starten", {"id": "start-by-police-1"})
    assert answer == {"ok": False, "fout": "Alleen de voorzitter kan dit doen."}
    assert auth.login(world["users"]["POL"]).status_code == 302
    assert form_post(app, client, f"/overleggen/{meeting.id}/live/voorzitter/starten").status_code == 403
    assert pol.send("overleg")["overleg"]["status"] == "niet_gestart"
