"""Bad input on live events: refused in Dutch, nothing half-stored, the connection keeps working."""

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from mda.cases.models import Item
from mda.live.models import LivePiece
from tests.conftest import audit_rows, form_post, text_of, today, working_day


@pytest.fixture
def chair(live, world, meeting):
    client = live(world["coordinator"])
    assert client.send("deelnemen", {"overleg": meeting.id})["ok"]
    assert client.send("starten", {"id": "start-bad-01"})["ok"]
    return client


@pytest.mark.parametrize("body, message", [
    ({"id": "bad-000001"}, "ontbreekt"),
    ({"id": "bad-000002", "punt": "abc", "tekst": "x"}, "getal"),
    ({"id": "bad-000003", "punt": "ITEM", "tekst": ""}, "leeg"),
    ({"id": "bad-000004", "punt": "ITEM", "tekst": ["lijst"]}, "tekst"),
    ({"id": "bad-000005", "punt": "ITEM", "tekst": "x" * 8001}, "te lang"),
    ({"id": "bad-000006", "punt": "ITEM", "tekst": "x", "categorie": "onzin"}, "categorie"),
    ({"id": "bad-000007", "punt": "ITEM", "tekst": "x", "personen": [999999]}, "personen"),
    ({"punt": "ITEM", "tekst": "zonder id"}, "id"),
])
def test_malformed_event_is_refused_in_dutch_and_nothing_is_stored(app, db, chair, meeting, body, message):
    """Is an event with a missing or wrong field refused with a Dutch message, storing nothing?"""
    body = {k: (meeting.item_a if v == "ITEM" else v) for k, v in body.items()}
    answer = chair.send("stuk_nieuw", body)
    assert answer["ok"] is False and message in answer["fout"], answer
    assert any(m["name"] == "fout" for m in chair.received())
    db.expire_all()
    assert db.exec(select(LivePiece)).all() == [] and db.exec(select(Item)).all() == []
    assert chair.send("overleg")["ok"]  # the connection keeps working


def test_oversized_event_is_refused(app, chair, meeting):
    """Is an event bigger than the limit refused before anything is read?"""
    answer = chair.send("stuk_nieuw", {"id": "big-0000001", "punt": meeting.item_a, "tekst": "x" * 30000})
    assert answer["ok"] is False and "te groot" in answer["fout"]


def test_non_object_payload_is_refused(app, chair):
    """Is a payload that is not an object refused in Dutch?"""
    answer = chair.sio.emit("overleg", "rommel", namespace="/live", callback=True)
    assert answer["ok"] is False and "gelezen" in answer["fout"]


def test_events_for_a_closed_meeting_are_refused(app, db, chair, meeting):
    """Is a new action refused once the chair closed the meeting?"""
    assert chair.send("sluiten", {"id": "sluit-000001"})["ok"]
    answer = chair.send("actie", {"id": "actie-gesloten", "punt": meeting.item_a, "omschrijving": "Te laat",
                                  "deadline": "2099-01-01", "eigenaar_gezin": True})
    assert answer["ok"] is False and "gesloten" in answer["fout"]


def test_flooding_client_is_rate_limited_once_and_audited(app, db, chair, world, monkeypatch):
    """Does a client flooding events get refused (one Dutch error per window, audited), storing nothing more?"""
    monkeypatch.setitem(app.config, "LIVE_RATE_LIMIT", (5, 3600))
    from mda.live import ratelimit

    ratelimit._windows.clear()
    answers = [chair.send("overleg") for _ in range(8)]
    assert [a["ok"] for a in answers[:5]] == [True] * 5
    assert all(a["ok"] is False and "te veel" in a["fout"] for a in answers[5:])
    errors = [m for m in chair.received() if m["name"] == "fout"]
    assert len(errors) == 1
    assert len([r for r in audit_rows(db, user_id=world["coordinator"].id) if "te veel" in r.summary]) == 1
    ratelimit._windows.clear()


def test_piece_of_another_meeting_is_refused_and_audited(app, db, chair, world):
    """Is saving a piece id that does not belong to this meeting refused and audited as denied?"""
    answer = chair.send("stuk_opslaan", {"id": "vreemd-00001", "stuk": 424242, "versie": 1, "tekst": "x"})
    assert answer["ok"] is False
    assert any(r.action == "denied" for r in audit_rows(db, user_id=world["coordinator"].id))


def test_a_live_action_with_a_control_character_is_stored_clean(app, db, chair, meeting):
    """Is a live action whose description holds Word's manual line break (vertical tab) stored with a newline,
    like the same text from a form or the API (one text rule)?"""
    from mda.safety_plan.models import PlanAction

    answer = chair.send("actie", {"id": "actie-vt-00001", "punt": meeting.item_a, "omschrijving": "Bel\x0bschool\x1b",
                                  "deadline": "2099-01-15", "eigenaar_gezin": True})
    assert answer["ok"], answer
    db.expire_all()
    assert db.get(PlanAction, answer["actie"]).description == "Bel\nschool"


@pytest.mark.parametrize("deadline", ["9999-12-31", "2200-01-01"])
def test_a_live_action_dated_outside_the_range_is_refused_in_dutch(app, db, chair, meeting, caplog, deadline):
    """Is a live action with a deadline outside 1900-2199 refused with the Dutch date message (no traceback
    logged), storing nothing?"""
    from mda.safety_plan.models import PlanAction

    answer = chair.send("actie", {"id": f"actie-{deadline}", "punt": meeting.item_a, "omschrijving": "Bel school",
                                  "deadline": deadline, "eigenaar_gezin": True})
    assert answer["ok"] is False and "ligt buiten het bereik" in answer["fout"], answer
    assert not [r for r in caplog.records if r.exc_info]
    db.expire_all()
    assert db.exec(select(PlanAction)).all() == []
    assert chair.send("overleg")["ok"]


def test_a_live_action_with_a_past_deadline_is_stored_only_when_confirmed(app, db, chair, meeting):
    """Over the socket, is an action dated before today refused in Dutch without ``termijn_bevestigd`` (nothing
    stored), and stored with that deadline once the user ticked "Ja, de termijn ligt bewust vóór vandaag"?"""
    from mda.safety_plan.models import PlanAction

    past = today() - timedelta(days=32)
    body = {"punt": meeting.item_a, "omschrijving": "Bel school", "deadline": past.isoformat(), "eigenaar_gezin": True}
    answer = chair.send("actie", {**body, "id": "actie-verleden-1"})
    assert answer["ok"] is False and f"De termijn {past:%d-%m-%Y} ligt vóór vandaag" in answer["fout"], answer
    db.expire_all()
    assert db.exec(select(PlanAction)).all() == []
    answer = chair.send("actie", {**body, "id": "actie-verleden-2", "termijn_bevestigd": True})
    assert answer["ok"], answer
    db.expire_all()
    assert db.get(PlanAction, answer["actie"]).deadline == past


def test_a_plain_form_action_with_a_past_deadline_offers_the_confirmation_and_keeps_the_input(app, client, auth, db,
                                                                                              world, meeting):
    """Without script, is an action dated before today refused (422) with the form offered again, holding the
    description, owner and deadline and the confirmation checkbox, and is it stored once that box is ticked?"""
    from mda.safety_plan.models import PlanAction

    assert auth.login(world["coordinator"]).status_code == 302
    assert form_post(app, client, f"/overleggen/{meeting.id}/live/voorzitter/starten").status_code == 302
    panel = client.get(f"/overleggen/{meeting.id}").text
    assert 'name="termijn_bevestigd"' in panel and "Ja, de termijn ligt bewust vóór vandaag" in panel
    past, owner = today() - timedelta(days=32), f"organisatie:{world['orgs']['VT'].id}"
    url = f"/overleggen/{meeting.id}/live/punten/{meeting.item_a}/acties"
    form = {"omschrijving": "Bel de school over Anna", "eigenaar": owner, "deadline": past.isoformat()}
    resp = form_post(app, client, url, form)
    assert resp.status_code == 422
    assert f"De termijn {past:%d-%m-%Y} ligt vóór vandaag" in text_of(resp.text)
    assert re.search(r'<textarea[^>]*name="omschrijving"[^>]*>Bel de school over Anna</textarea>', resp.text)
    assert f'<option value="{owner}" selected>' in resp.text and f'value="{past.isoformat()}"' in resp.text
    assert 'name="termijn_bevestigd" type="checkbox"' in resp.text and f'action="{url}"' in resp.text
    db.expire_all()
    assert db.exec(select(PlanAction)).all() == []
    assert form_post(app, client, url, {**form, "termijn_bevestigd": "1"}).status_code == 302
    db.expire_all()
    stored = db.exec(select(PlanAction)).one()
    assert (stored.description, stored.deadline, stored.owner_organisation_id) == (
        "Bel de school over Anna", past, world["orgs"]["VT"].id)


def test_the_plain_action_form_makes_the_user_choose_an_owner(app, client, auth, db, world, meeting):
    """Does the meeting page's action form start with an empty "Kies een eigenaar" (not the first person listed),
    and is an action sent without an owner refused with the plan's Dutch message, nothing stored?"""
    from mda.safety_plan.models import PlanAction

    assert auth.login(world["coordinator"]).status_code == 302
    assert form_post(app, client, f"/overleggen/{meeting.id}/live/voorzitter/starten").status_code == 302
    panel = client.get(f"/overleggen/{meeting.id}").text
    select_html = re.search(rf'<select[^>]*id="eigenaar-{meeting.item_a}"[^>]*>(.*?)</select>', panel, re.S)
    assert select_html and re.match(r'<option value="">Kies een eigenaar</option>', select_html.group(1))
    resp = form_post(app, client, f"/overleggen/{meeting.id}/live/punten/{meeting.item_a}/acties",
                     {"omschrijving": "Huisbezoek", "eigenaar": "", "deadline": working_day(7).isoformat()})
    assert resp.status_code == 422 and "Kies een eigenaar" in text_of(resp.text)
    assert "Huisbezoek</textarea>" in resp.text
    db.expire_all()
    assert db.exec(select(PlanAction)).all() == []
