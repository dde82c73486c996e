"""Open actions at the case's next meeting, under the agenda item "Openstaande acties"."""


from mda.core import sharing
from mda.safety_plan import services
from tests.conftest import text_of, working_day
from tests.meetings.conftest import case_items

FUTURE = working_day(9)


def test_meeting_lists_open_actions_of_visible_cases_through_the_engine(app, client, auth, db, world, plan, invite):
    """Does the meeting page list each visible case's open actions (not finished ones, not other circles'),
    with a placeholder where the viewer has no basis?"""
    pol, vt, ggz = world["users"]["POL"], world["users"]["VT"], world["users"]["GGZ"]
    ctx_a = sharing.load_context(db, world["case_a"])
    services.add_action(db, pol, ctx_a, description="OPEN-POL naleving controleren", deadline=FUTURE,
                        owner_user_id=pol.id)
    withheld = services.add_action(db, vt, ctx_a, description="GEHEIM-VT gezondheidsactie", deadline=FUTURE,
                                   owner_user_id=vt.id, category="gezondheid")
    done = services.add_action(db, pol, ctx_a, description="KLAAR-POL al gedaan", deadline=FUTURE,
                               owner_user_id=pol.id)
    services.change_status(db, pol, ctx_a, done, status="gereed", comment="Gedaan")
    services.add_action(db, ggz, sharing.load_context(db, world["case_b"]), description="ANDERE-CASUS actie",
                        deadline=FUTURE, owner_user_id=ggz.id)
    db.commit()
    meeting = plan()
    invite(meeting, world["coordinator"], pol, item_ids=[case_items(db, meeting)[world["case_a"].id]])
    auth.login(pol)
    page = client.get(f"/overleggen/{meeting.id}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "OPEN-POL naleving controleren" in text
    assert "KLAAR-POL" not in text and "ANDERE-CASUS" not in text and "GEHEIM-VT" not in text
    assert "Niet gedeeld: geen toestemming voor GGZ-gegevens" in text and withheld.id
