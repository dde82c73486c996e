"""Pre-meeting updates: minimal-data-set items of the case, shown only through the sharing engine."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import func, select

from mda.cases.models import Item
from mda.meetings.models import Meeting, MeetingUpdate
from tests.conftest import audit_rows, csrf_token, form_post, text_of
from tests.meetings.conftest import case_items, future_monday, mail_to, personal_strings


def _scene(db, world, plan, invite, deadline=None):
    start = future_monday()
    meeting = plan(start=start, update_deadline=deadline or start - timedelta(days=1))
    items = case_items(db, meeting)
    ia, ib = items[world["case_a"].id], items[world["case_b"].id]
    users = world["users"]
    invite(meeting, world["coordinator"], users["POL"], item_ids=[ia])
    invite(meeting, world["coordinator"], users["VT"], item_ids=[ia])
    invite(meeting, world["coordinator"], users["GGZ"], item_ids=[ib])
    return meeting, ia, ib


def test_update_is_stored_as_an_item_of_the_case_with_the_writers_organisation_as_source(
        app, client, auth, db, world, plan, invite):
    """Does POL's update become a 'hulpverlening' item of case A (source: POL), linked to the agenda item,
    with an audit row naming the case?"""
    meeting, ia, _ = _scene(db, world, plan, invite)
    pol = world["users"]["POL"]
    auth.login(pol)
    resp = form_post(app, client, f"/overleggen/{meeting.id}/punten/{ia}/update",
                     {"content": "Huisbezoek afgelegd; afspraak met wijkagent nagekomen."})
    assert resp.status_code == 302
    update = db.exec(select(MeetingUpdate)).one()
    item = db.get(Item, update.item_id)
    assert item.case_id == world["case_a"].id and item.category == "hulpverlening"
    assert item.source_organisation_id == pol.organisation_id and item.author_id == pol.id
    assert audit_rows(db, action="create", object_type="item", case_id=world["case_a"].id)
    page = text_of(client.get(f"/overleggen/{meeting.id}").text)
    assert "Huisbezoek afgelegd" in page  # the source always sees its own item


def test_update_is_withheld_without_a_basis_and_shown_with_a_covenant(app, client, auth, db, world, plan, invite):
    """Does VT see 'niet gedeeld' with the reason when there is no basis, and the text with the covenant
    clause once the region's covenant applies (every view audited)?"""
    meeting, ia, _ = _scene(db, world, plan, invite)
    auth.login(world["users"]["POL"])
    form_post(app, client, f"/overleggen/{meeting.id}/punten/{ia}/update", {"content": "Geheime voortgang X."})
    auth.logout()
    auth.login(world["users"]["VT"])
    page = text_of(client.get(f"/overleggen/{meeting.id}").text)
    assert "Geheime voortgang X." not in page and "Niet gedeeld: geen toestemming voor" in page
    api = client.get(f"/api/v1/meetings/{meeting.id}/items/{ia}/updates").get_json()
    assert api["updates"][0]["visible"] is False and api["updates"][0]["content"] is None
    region = world["region"]
    region.code = "DEMODAM"  # the fictional region whose covenant shares 'hulpverlening' with every partner
    db.add(region)
    db.commit()
    page = text_of(client.get(f"/overleggen/{meeting.id}").text)
    assert "Geheime voortgang X." in page and "Convenant MDA++ Demodam" in page
    views = audit_rows(db, action="view", case_id=world["case_a"].id, user_id=world["users"]["VT"].id)
    assert views and "overleg" in views[-1].summary


def test_coordinator_sees_who_has_not_submitted_and_reminds_them(app, client, auth, db, world, plan, invite):
    """Does the coordinator see which organisations still owe an update, and does 'remind' e-mail only their
    professionals, naming the case references but no personal data?"""
    meeting, ia, _ = _scene(db, world, plan, invite)
    auth.login(world["users"]["POL"])
    form_post(app, client, f"/overleggen/{meeting.id}/punten/{ia}/update", {"content": "Alles volgens plan."})
    auth.logout()
    auth.login(world["coordinator"])
    page = text_of(client.get(f"/overleggen/{meeting.id}").text)
    assert f"{world['orgs']['VT'].name}: nog niet ingediend" in page
    assert f"{world['orgs']['POL'].name}: ingediend" in page
    api = client.get(f"/api/v1/meetings/{meeting.id}/items/{ia}/updates").get_json()
    assert api["missing"] == [world["orgs"]["VT"].name]
    resp = form_post(app, client, f"/overleggen/{meeting.id}/herinneren", {}, follow_redirects=True)
    assert "Herinnering verstuurd aan 2 deelnemer(s)" in text_of(resp.text)
    (reminder,) = [m for m in mail_to(app, world["users"]["VT"]) if m["Subject"].startswith("Herinnering")]
    body = reminder.get_body(("plain",)).get_content()
    assert world["case_a"].reference in body and world["case_b"].reference not in body
    for needle in personal_strings(world["persons"]):
        assert needle not in body and needle not in reminder["Subject"]
    assert not [m for m in mail_to(app, world["users"]["POL"]) if m["Subject"].startswith("Herinnering")]


def test_update_after_the_deadline_is_refused(app, client, auth, db, world, plan, invite):
    """Is an update after the coordinator's deadline refused with a Dutch message, with nothing saved?"""
    start = future_monday()
    meeting = plan(start=start)
    db_meeting = db.get(Meeting, meeting.id)
    db_meeting.update_deadline = start - timedelta(weeks=8)  # already passed
    db.add(db_meeting)
    db.commit()
    ia = case_items(db, meeting)[world["case_a"].id]
    invite(meeting, world["coordinator"], world["users"]["POL"], item_ids=[ia])
    auth.login(world["users"]["POL"])
    resp = client.post(f"/api/v1/meetings/{meeting.id}/items/{ia}/updates", json={"content": "Te laat."},
                       headers={"X-CSRFToken": csrf_token(app, client)})
    assert resp.status_code == 422 and "termijn voor updates is verstreken" in resp.get_json()["message"]
    assert db.exec(select(func.count()).select_from(MeetingUpdate)).one() == 0
    assert db.exec(select(func.count()).select_from(Item)).one() == 0


def test_partner_cannot_write_an_update_for_another_circles_case(app, client, auth, db, world, plan, invite):
    """Does GGZ (case B only) get 404 when posting an update for case A's item?"""
    meeting, ia, _ = _scene(db, world, plan, invite)
    auth.login(world["users"]["GGZ"])
    resp = form_post(app, client, f"/overleggen/{meeting.id}/punten/{ia}/update", {"content": "Niet van mij."})
    assert resp.status_code == 404
    assert db.exec(select(func.count()).select_from(MeetingUpdate)).one() == 0
