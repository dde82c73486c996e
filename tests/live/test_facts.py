"""Keystrokes of a co-edited piece reuse the room's answers (:mod:`mda.live.facts`) only while nothing they rest on
has changed: an access change made anywhere (here: with the other processes' recheck notice not arrived) stops the
very next keystroke."""

from datetime import timedelta

import pytest
from sqlmodel import select

from mda.cases.models import CaseOrganisation, Consent
from mda.core import clock, epoch
from mda.live import coedit, facts
from tests.conftest import tables_read
from tests.live.test_coedit import Replica, _piece, _stored
from tests.live.test_working import _started


@pytest.fixture
def victim(world, make_consent):
    """The victim of case A, whose consent lets the police see minutes about her (not VT)."""
    person = world["persons"][0]
    make_consent(world["case_a"], person, [world["orgs"]["POL"]], ["overleg", "risicosignalen"], world["coordinator"])
    return person


@pytest.fixture
def no_recheck(monkeypatch):
    """Access changes reach this process's sockets only through the epochs: the recheck notice (which would take
    the socket out of the room) is as if it came from another process and had not arrived yet."""
    from mda.live import recheck

    monkeypatch.setattr(recheck, "recheck", lambda *_args: None)


@pytest.fixture
def typing(app, db, live, world, meeting, victim):
    """The chair typing in a minutes piece that the police professional sees, both in the item's room."""
    facts.clear()
    chair, (pol,) = _started(live, world, meeting, "POL")
    assert pol.send("punt", {"punt": meeting.item_a})["ok"] and chair.send("punt", {"punt": meeting.item_a})["ok"]
    piece_id = _piece(chair, meeting, "facts-0001", "Begin.", victim)
    a, b = Replica(chair, piece_id), Replica(pol, piece_id)
    assert a.sync()["ok"] and b.sync()["ok"]
    for word in (" een", " twee"):
        a.type(word)
        assert a.flush()[0]["ok"]
    assert b.take_pushes() == 2
    return a, b


@pytest.fixture
def asked(monkeypatch):
    """How often the engine and the writer's checks were asked the full way."""
    calls = {"views": 0, "writer": 0}
    views, load_piece = coedit.sharing.item_views_for_users, coedit._load_piece

    def counting_views(*args, **kwargs):
        calls["views"] += 1
        return views(*args, **kwargs)

    def counting_load(*args, **kwargs):
        calls["writer"] += 1
        return load_piece(*args, **kwargs)

    monkeypatch.setattr(coedit.sharing, "item_views_for_users", counting_views)
    monkeypatch.setattr(coedit, "_load_piece", counting_load)
    return calls


def test_a_keystroke_reuses_the_answers_while_nothing_changed(typing, asked):
    """Once the writer and the viewer were decided, are the next keystrokes pushed without asking the engine or
    the writer's checks again (the saving the other tests rely on: without it they could not fail)?"""
    a, b = typing
    for word in (" drie", " vier"):
        a.type(word)
        assert a.flush()[0]["ok"]
    assert b.take_pushes() == 2
    assert asked == {"views": 0, "writer": 0}


def test_a_consent_withdrawn_elsewhere_stops_the_next_keystroke(typing, asked, no_recheck, db, world, victim):
    """When the consent through which the police see the minutes is withdrawn (in another process), does the
    police professional, still in the room, get nothing of the next keystroke, decided by the engine again?"""
    a, b = typing
    consent = db.exec(select(Consent).where(Consent.person_id == victim.id)).one()
    consent.withdrawn_at = clock.now()
    db.add(consent)
    db.commit()
    a.type(" GEHEIM")
    assert a.flush()[0]["ok"]
    assert b.take_pushes() == 0 and "GEHEIM" not in b.client.everything()
    assert asked["views"] == 1


def test_a_viewer_whose_organisation_leaves_the_circle_gets_nothing_more(typing, asked, no_recheck, db, world):
    """When the police leave the case's circle mid-typing, does the next keystroke stop reaching them?"""
    a, b = typing
    link = db.exec(select(CaseOrganisation).where(CaseOrganisation.case_id == world["case_a"].id,
                                                  CaseOrganisation.organisation_id == world["orgs"]["POL"].id)).one()
    db.delete(link)
    db.commit()
    a.type(" GEHEIM")
    assert a.flush()[0]["ok"]
    assert b.take_pushes() == 0 and "GEHEIM" not in b.client.everything()


def test_a_deactivated_viewer_gets_nothing_more(typing, no_recheck, db, world):
    """When the police professional's account is deactivated mid-typing, does the next keystroke stop reaching
    their open socket?"""
    a, b = typing
    user = db.get(type(world["users"]["POL"]), world["users"]["POL"].id)
    user.active = False
    db.add(user)
    db.commit()
    a.type(" GEHEIM")
    assert a.flush()[0]["ok"]
    assert b.take_pushes() == 0 and "GEHEIM" not in b.client.everything()


def test_a_writer_who_lost_the_piece_is_refused_at_the_next_keystroke(app, db, live, world, meeting, victim,
                                                                      no_recheck):
    """When the police professional, typing in the minutes, loses the consent through which they see them, is
    their next keystroke refused (and audited) instead of merged through the kept answer?"""
    facts.clear()
    chair, (pol,) = _started(live, world, meeting, "POL")
    assert pol.send("punt", {"punt": meeting.item_a})["ok"] and chair.send("punt", {"punt": meeting.item_a})["ok"]
    piece_id = _piece(chair, meeting, "facts-0002", "Begin.", victim)
    b = Replica(pol, piece_id)
    b.sync()
    b.type(" mag")
    assert b.flush()[0]["ok"]
    consent = db.exec(select(Consent).where(Consent.person_id == victim.id)).one()
    consent.withdrawn_at = clock.now()
    db.add(consent)
    db.commit()
    b.type(" NIET")
    answer = b.flush()[0]
    assert answer["ok"] is False and "gedeeld" in answer["fout"]
    stored, _state = _stored(db, piece_id)
    assert stored.endswith("mag") and "NIET" not in stored


def test_kept_answers_run_out_with_the_clock(typing, asked):
    """After :data:`mda.live.facts.MAX_AGE`, is the next keystroke decided the full way again?"""
    a, b = typing
    clock.set_now(clock.now() + facts.MAX_AGE + timedelta(seconds=1), tick=True)
    a.type(" later")
    assert a.flush()[0]["ok"] and b.take_pushes() == 1
    assert asked == {"views": 1, "writer": 1}


def test_the_kept_answers_rest_only_on_tables_that_raise_an_epoch(app, typing, asked):
    """Does every table that the full checks read, and a kept keystroke does not, raise an epoch when written
    (so that no change of it can leave a kept answer standing)? A new rule reading another table fails here."""
    from mda.core.sharing import context

    a, b = typing
    engine = app.extensions["mda_engine"]

    def keystroke(word):
        def work():
            a.type(word)
            assert a.flush()[0]["ok"]
        return work

    kept = tables_read(engine, keystroke(" kept"))
    facts.clear()
    context.forget_kept()  # the case's context too (kept under the same epochs, tests/cases/...context_cache.py)
    full = tables_read(engine, keystroke(" full"))
    assert asked["views"] == 1 and asked["writer"] == 1  # the second keystroke went the full way
    assert {"case_organisation", "consent"} <= full  # the check can fail: the engine's tables are seen
    assert full - kept <= epoch.TRACKED, full - kept - epoch.TRACKED
