"""Access changes reach open live sessions: withdrawn consent, a partner taken out of the circle."""

from sqlmodel import select

from mda.cases.models import Case
from mda.core import sharing
from mda.live.models import LivePresence


def _setup(live, world, meeting, make_consent):
    victim = world["persons"][0]
    consent = make_consent(world["case_a"], victim, [world["orgs"]["POL"]], ["overleg"], world["coordinator"])
    chair = live(world["coordinator"])
    chair.send("deelnemen", {"overleg": meeting.id})
    chair.send("starten", {"id": "start-access1"})
    pol = live(world["users"]["POL"])
    pol.send("deelnemen", {"overleg": meeting.id})
    text = "Moeder heeft het huisverbod overtreden (fictief)"
    chair.send("stuk_nieuw", {"id": "stuk-access-1", "punt": meeting.item_a, "tekst": text, "personen": [victim.id]})
    item = pol.send("punt", {"punt": meeting.item_a})["punt"]
    assert [s.get("tekst") for s in item["stukken"]] == [text]
    pol.received()
    return chair, pol, consent, text


def _in_case(service, fn, coordinator, case_id, *args):
    def run(s, coordinator):
        ctx = sharing.load_context(s, s.get(Case, case_id))
        return fn(s, coordinator, ctx, *args)

    return service(run, coordinator)


def test_withdrawn_consent_removes_the_item_from_an_open_session(app, db, live, world, meeting, make_consent,
                                                                 service):
    """Does a consent withdrawn while a partner has the item open make the text disappear from its session?"""
    from mda.cases import services as case_services

    _chair, pol, consent, text = _setup(live, world, meeting, make_consent)
    _in_case(service, case_services.withdraw_consent, world["coordinator"], world["case_a"].id, consent.id,
             "Betrokkene trekt toestemming in")
    pushed = pol.received()
    assert any(m["name"] == "controle" for m in pushed), pushed
    again = pol.send("punt", {"punt": meeting.item_a})["punt"]
    assert again["stukken"][0]["zichtbaar"] is False and "ingetrokken" in again["stukken"][0]["niet_gedeeld"]
    assert text not in str(again)


def test_partner_taken_out_of_the_circle_leaves_the_item_room(app, db, live, world, meeting, make_consent, service):
    """Is a partner taken out of the circle removed from the item's room by the server, receiving nothing more?"""
    from mda.cases import circle

    chair, pol, _consent, text = _setup(live, world, meeting, make_consent)
    _in_case(service, circle.remove_member, world["coordinator"], world["case_a"].id, world["users"]["POL"].id)
    assert any(m["name"] == "controle" for m in pol.received())
    db.expire_all()
    presence = db.exec(select(LivePresence).where(LivePresence.user_id == world["users"]["POL"].id)).one()
    assert meeting.item_a not in presence.room_ids
    later = "Nieuw besluit na het verwijderen (fictief)"
    assert chair.send("stuk_nieuw", {"id": "stuk-access-2", "punt": meeting.item_a, "tekst": later})["ok"]
    pushed = pol.received()
    assert not any(m["name"] == "melding" and m["args"][0].get("punt") == meeting.item_a for m in pushed), pushed
    answer = pol.send("punt", {"punt": meeting.item_a})
    assert answer["ok"] is False and later not in pol.everything()
    # POL was invited for case A alone: that invitation ended with the circle (meetings.invitations), so the
    # meeting itself is closed to POL now; either way nothing of case A comes back
    state = pol.send("overleg")
    assert state["ok"] is False and world["case_a"].reference not in str(state)
