"""A service's refusal during a live event answers through the one socket path: a ``fout`` acknowledgement and a
``fout`` event naming the field, nothing stored, the connection kept."""

from sqlmodel import select


def test_a_service_refusal_on_a_socket_is_one_fout(app, db, live, world, meeting):
    """When a rule of the services refuses a live action (a deadline after 2199), does the client get ``ok: false``
    with the Dutch message, the same ``fout`` event, and is nothing stored?"""
    from mda.safety_plan.models import PlanAction

    chair = live(world["coordinator"])
    assert chair.send("deelnemen", {"overleg": meeting.id})["ok"]
    assert chair.send("starten", {"id": "start-refusal-1"})["ok"]
    chair.received()
    answer = chair.send("actie", {"id": "actie-refusal-1", "punt": meeting.item_a, "omschrijving": "Bel school",
                                  "deadline": "2200-01-01", "eigenaar_gezin": True})
    assert answer["ok"] is False and "ligt buiten het bereik" in answer["fout"], answer
    events = [m for m in chair.received() if m["name"] == "fout"]
    assert len(events) == 1 and events[0]["args"][0]["fout"] == answer["fout"]
    assert events[0]["args"][0]["veld"] == answer.get("veld", "")
    db.expire_all()
    assert db.exec(select(PlanAction)).all() == []
    assert chair.send("overleg")["ok"]
