"""A meeting the chair closed has been held: it leaves "Komende overleggen" everywhere that list is shown."""

import pytest

from tests.conftest import form_post


def _coming_and_past_on_case_page(client, case) -> tuple[str, str]:
    html = client.get(f"/casussen/{case.id}").text
    coming = html.partition("Komende overleggen")[2]
    assert "Eerdere overleggen" in coming
    return coming.partition("Eerdere overleggen")
    # (the part between the two headings, the separator, the part after)


def _lists(client, world, meeting) -> dict[str, bool]:
    """Where the meeting's link shows: the coming and past lists of the meetings page, the start page, the case."""
    link = f'href="/overleggen/{meeting.id}"'
    case_coming, _sep, case_past = _coming_and_past_on_case_page(client, world["case_a"])
    return {"komend": link in client.get("/overleggen/").text,
            "eerder": link in client.get("/overleggen/?eerder=1").text,
            "startpagina": link in client.get("/").text,
            "casus komend": link in case_coming,
            "casus eerder": link in case_past}


@pytest.mark.parametrize("who", ["coordinator", "POL"])
def test_a_closed_meeting_leaves_the_coming_meetings(app, auth, client, world, meeting, who):
    """Once the chair closes a meeting (before its planned end), is it gone from "Komende overleggen" on the
    meetings page, the start page and the case page, and listed with the earlier meetings instead, for the chair
    and for an invited partner alike?"""
    user = world["coordinator"] if who == "coordinator" else world["users"]["POL"]
    assert auth.login(user).status_code == 302
    assert _lists(client, world, meeting) == {"komend": True, "eerder": False, "startpagina": True,
                                              "casus komend": True, "casus eerder": False}
    auth.logout()
    assert auth.login(world["coordinator"]).status_code == 302
    for step in ("starten", "sluiten"):
        assert form_post(app, client, f"/overleggen/{meeting.id}/live/voorzitter/{step}").status_code == 302
    auth.logout()
    assert auth.login(user).status_code == 302
    assert _lists(client, world, meeting) == {"komend": False, "eerder": True, "startpagina": False,
                                              "casus komend": False, "casus eerder": True}


def test_a_started_meeting_stays_among_the_coming_meetings(app, auth, client, world, meeting):
    """Does a meeting that is under way (started, not closed) stay in "Komende overleggen"?"""
    assert auth.login(world["coordinator"]).status_code == 302
    assert form_post(app, client, f"/overleggen/{meeting.id}/live/voorzitter/starten").status_code == 302
    assert _lists(client, world, meeting)["komend"] and _lists(client, world, meeting)["startpagina"]
