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


def test_a_partner_without_basis_sees_neither_the_action_nor_its_owner(app, db, live, world, meeting):
    """When the engine withholds an action (care, recorded by VT) from the police, does the live item state give the
    police no owner either, as the plan page does, while VT sees 'name (organisation)'?"""
    chair, (pol, vt) = _started(live, world, meeting, "POL", "VT")
    for client in (pol, vt):
        assert client.send("punt", {"punt": meeting.item_a})["ok"]
    owner = world["users"]["VT"]
    answer = vt.send("actie", {"id": "actie-eigenaar-02", "punt": meeting.item_a,
                               "omschrijving": "Behandeling moeder (fictief)", "deadline": "2099-01-15",
                               "eigenaar_gebruiker": owner.id, "categorie": "hulpverlening"})
    assert answer["ok"], answer
    pol_rows = pol.send("punt", {"punt": meeting.item_a})["punt"]["acties"]
    (withheld,) = [a for a in pol_rows if a["id"] == answer["actie"]]
    assert withheld["zichtbaar"] is False and withheld["eigenaar"] == "" and "tekst" not in withheld
    assert owner.name not in str(withheld) and world["orgs"]["VT"].name not in str(withheld)
    (shown,) = [a for a in vt.send("punt", {"punt": meeting.item_a})["punt"]["acties"] if a["id"] == answer["actie"]]
    assert shown["zichtbaar"] is True and shown["eigenaar"] == f"{owner.name} ({world['orgs']['VT'].name})"
