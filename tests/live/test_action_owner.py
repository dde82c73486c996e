"""Actions made live can be owned by anyone the plan page offers: the circle's professionals, organisations, family."""

from sqlmodel import select

from mda.safety_plan.models import PlanAction
from tests.live.test_working import _started


def test_the_owner_list_offers_the_circle_and_an_action_for_a_named_professional_is_stored(app, db, live, world,
                                                                                         meeting):
    """Does the item state list case A's professionals, organisations and the family (nobody of case B), and is an
    action given to the VT professional stored with that owner in the plan?"""
    chair, (pol,) = _started(live, world, meeting, "POL")
    state = pol.send("punt", {"punt": meeting.item_a})["punt"]
    values = {o["waarde"] for o in state["eigenaren"]}
    vt, ggz = world["users"]["VT"], world["users"]["GGZ"]
    assert f"u:{vt.id}" in values and f"o:{world['orgs']['POL'].id}" in values and "gezin" in values
    assert f"u:{ggz.id}" not in values  # GGZ is in case B's circle, not A's
    answer = pol.send("actie", {"id": "actie-eigenaar-01", "punt": meeting.item_a, "omschrijving": "Huisbezoek",
                                "deadline": "2099-01-15", "eigenaar_gebruiker": vt.id})
    assert answer["ok"], answer
    db.expire_all()
    assert db.exec(select(PlanAction).where(PlanAction.id == answer["actie"])).one().owner_user_id == vt.id
