"""Who is typing: the 'bewerken' mark of a piece goes when the typist saves, stops, moves on or leaves."""

from tests.live.test_push import _pushed, _viewing
from tests.live.test_working import _started


def _typing(live, world, meeting, make_consent, prefix: str):
    """A piece about the victim in item A (shared with the police by consent), viewed by the chair and the police
    professional, who has started typing in it: (chair, pol, the piece's id)."""
    victim = world["persons"][0]
    make_consent(world["case_a"], victim, [world["orgs"]["POL"]], ["overleg"], world["coordinator"])
    chair, (pol,) = _started(live, world, meeting, "POL")
    _viewing(meeting, chair, pol)
    created = chair.send("stuk_nieuw", {"id": f"{prefix}-01", "punt": meeting.item_a, "tekst": "Begin (fictief)",
                                        "personen": [victim.id]})
    assert created["ok"], created
    assert pol.send("bewerken", {"stuk": created["stuk"]})["ok"]
    assert _typists(chair, meeting) == [world["users"]["POL"].name]  # the others see the mark
    return chair, pol, created["stuk"]


def _typists(client, meeting) -> list[str]:
    """Who *client* is told is typing in item A's first piece: the last push, else its freshly fetched view."""
    pushed = _pushed(client, meeting.item_a)
    if pushed:
        return pushed[-1]["stukken"][0]["bewerkt_door"]
    return client.send("punt", {"punt": meeting.item_a})["punt"]["stukken"][0]["bewerkt_door"]


def test_the_typists_save_clears_the_mark_in_the_push_of_that_save(app, live, world, meeting, make_consent):
    """When the police professional saves the piece she was typing in, does the push of that very save tell the
    chair nobody is typing (not only a later change)?"""
    chair, pol, piece = _typing(live, world, meeting, make_consent, "typ-save")
    chair.received()
    assert pol.send("stuk_opslaan", {"id": "typ-save-02", "stuk": piece, "versie": 1, "tekst": "Twee (fictief)"})["ok"]
    assert _typists(chair, meeting) == []


def test_a_mark_that_arrives_after_the_typists_own_save_is_ignored(app, live, world, meeting, make_consent):
    """The browser sends its mark and its save as separate events, which the server may handle in either order: when
    the mark (typed on version 1) is handled after her own save made version 2, does the chair still see nobody
    typing?"""
    chair, pol, piece = _typing(live, world, meeting, make_consent, "typ-late")
    assert pol.send("stuk_opslaan", {"id": "typ-late-02", "stuk": piece, "versie": 1, "tekst": "Twee (fictief)"})["ok"]
    chair.received()
    assert pol.send("bewerken", {"stuk": piece, "versie": 1})["ok"]
    assert _typists(chair, meeting) == []


def test_a_mark_on_the_current_version_counts_after_a_save(app, live, world, meeting, make_consent):
    """When she goes on typing after her save (her mark names the version she saved), does the chair see her typing
    again?"""
    chair, pol, piece = _typing(live, world, meeting, make_consent, "typ-again")
    assert pol.send("stuk_opslaan", {"id": "typ-again-02", "stuk": piece, "versie": 1, "tekst": "Twee (fictief)"})["ok"]
    chair.received()
    assert pol.send("bewerken", {"stuk": piece, "versie": 2})["ok"]
    assert _typists(chair, meeting) == [world["users"]["POL"].name]


def test_the_browsers_idle_signal_clears_the_mark(app, live, world, meeting, make_consent):
    """When her browser says she stopped typing (a mark without a piece, sent a few seconds after her last key),
    does the chair see nobody typing?"""
    chair, pol, _piece = _typing(live, world, meeting, make_consent, "typ-idle")
    chair.received()
    assert pol.send("bewerken", {"stuk": None})["ok"]
    assert _typists(chair, meeting) == []


def test_moving_to_another_item_clears_the_mark(app, live, world, meeting, make_consent):
    """When the chair, typing in a piece of item A, opens item B, does the police professional (still in A) stop
    seeing the chair as typing?"""
    chair, pol, piece = _typing(live, world, meeting, make_consent, "typ-move")
    assert pol.send("bewerken", {"stuk": None})["ok"]
    assert chair.send("bewerken", {"stuk": piece})["ok"]
    assert _typists(pol, meeting) == [world["coordinator"].name]
    assert chair.send("punt", {"punt": meeting.item_b})["ok"]
    assert _typists(pol, meeting) == []


def test_leaving_clears_the_mark(app, live, world, meeting, make_consent):
    """When the typist closes her window (the socket disconnects), is the chair told to fetch the item again, and
    does it then show nobody typing?"""
    chair, pol, _piece = _typing(live, world, meeting, make_consent, "typ-leave")
    chair.received()
    pol.disconnect()
    assert any(m["name"] == "melding" and m["args"][0].get("punt") == meeting.item_a for m in chair.received())
    assert _typists(chair, meeting) == []
