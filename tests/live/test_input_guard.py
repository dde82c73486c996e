"""The input guard on live events: ids the database cannot hold and NUL bytes in text get a clear Dutch 'fout',
no traceback in the log, nothing stored, and the connection keeps working."""

import logging

import pytest
from sqlmodel import func, select

from mda.escalations.models import Escalation
from mda.live.models import LiveDissent, LivePiece, LiveScore
from mda.safety_plan.models import PlanAction

OUT_OF_RANGE = [99999999999999999999, 2147483648, -2147483649, "99999999999999999999"]


@pytest.fixture
def chair(live, world, meeting):
    """The chair, joined and started, standing in case A's item."""
    client = live(world["coordinator"])
    assert client.send("deelnemen", {"overleg": meeting.id})["ok"]
    assert client.send("starten", {"id": "start-guard-1"})["ok"]
    assert client.send("punt", {"punt": meeting.item_a})["ok"]
    return client


def _stored(db) -> dict:
    db.expire_all()
    return {model.__name__: db.exec(select(func.count()).select_from(model)).one()
            for model in (LivePiece, LiveDissent, LiveScore, PlanAction, Escalation)}


def _events(meeting, bad):
    """(event, body) for each live event, with *bad* in an id field."""
    item = meeting.item_a
    return [
        ("deelnemen", {"overleg": bad}),
        ("punt", {"punt": bad}),
        ("bewerken", {"stuk": bad}),
        ("stuk_opslaan", {"id": "guard-opslaan", "stuk": bad, "versie": 1, "tekst": "x"}),
        ("stuk_opslaan", {"id": "guard-versie", "stuk": 1, "versie": bad, "tekst": "x"}),
        ("afwijkend", {"id": "guard-afwijkend", "stuk": bad, "reden": "x"}),
        ("actie", {"id": "guard-actie-1", "punt": bad, "omschrijving": "x", "deadline": "2099-01-15",
                   "eigenaar_gezin": True}),
        ("actie", {"id": "guard-actie-2", "punt": item, "omschrijving": "x", "deadline": "2099-01-15",
                   "eigenaar_gebruiker": bad}),
        ("actie", {"id": "guard-actie-3", "punt": item, "omschrijving": "x", "deadline": "2099-01-15",
                   "eigenaar_organisatie": bad}),
        ("score", {"id": "guard-score-1", "punt": bad, "score": 5}),
        ("score", {"id": "guard-score-2", "punt": item, "score": bad}),
        ("stuk_nieuw", {"id": "guard-nieuw-1", "punt": bad, "tekst": "x"}),
        ("stuk_nieuw", {"id": "guard-nieuw-2", "punt": item, "tekst": "x", "personen": [bad]}),
    ]


@pytest.mark.parametrize("bad", OUT_OF_RANGE, ids=str)
def test_ids_the_database_cannot_hold_get_a_dutch_refusal(app, db, chair, meeting, caplog, bad):
    """Is every live event with an id beyond the database's integer range refused in Dutch, without a traceback
    in the log and without storing anything, the connection still working?"""
    assert chair.send("ronde_open", {"id": "guard-ronde-1", "punt": meeting.item_a})["ok"]  # so a score is read
    before = _stored(db)
    caplog.set_level(logging.WARNING)
    for event, body in _events(meeting, bad):
        answer = chair.send(event, body)
        expected = ("Kies de personen" if "personen" in body else "veiligheidsscore" if body.get("score") == bad
                    else "is geen geldig nummer")
        assert answer["ok"] is False and expected in answer["fout"], (event, body, answer)
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]
    assert _stored(db) == before
    assert chair.send("overleg")["ok"]


def test_a_nul_byte_in_a_live_text_is_refused_in_dutch(app, db, chair, meeting, caplog):
    """Is a NUL byte in the text of a live event (a new piece, a save, a dissent, an action, or its id) refused
    with the Dutch NUL message, storing nothing, without a traceback?"""
    piece = chair.send("stuk_nieuw", {"id": "guard-besluit", "punt": meeting.item_a, "soort": "besluit",
                                      "tekst": "Besluit"})
    assert piece["ok"], piece
    before = _stored(db)
    caplog.set_level(logging.WARNING)
    bodies = [
        ("stuk_nieuw", {"id": "guard-nul-01", "punt": meeting.item_a, "tekst": "a\x00b"}),
        ("stuk_opslaan", {"id": "guard-nul-02", "stuk": piece["stuk"], "versie": 1, "tekst": "a\x00b"}),
        ("afwijkend", {"id": "guard-nul-03", "stuk": piece["stuk"], "reden": "a\x00b"}),
        ("actie", {"id": "guard-nul-04", "punt": meeting.item_a, "omschrijving": "a\x00b",
                   "deadline": "2099-01-15", "eigenaar_gezin": True}),
        ("actie", {"id": "guard-nul-\x00", "punt": meeting.item_a, "omschrijving": "ab",
                   "deadline": "2099-01-15", "eigenaar_gezin": True}),
        ("punt", {"punt": meeting.item_a, "\x00": 1}),
    ]
    for event, body in bodies:
        answer = chair.send(event, body)
        assert answer["ok"] is False and "nul-teken" in answer["fout"], (event, answer)
    assert not [r for r in caplog.records if r.exc_info]
    assert _stored(db) == before
    assert chair.send("overleg")["ok"]
