"""Invitations, answers, delegation and attendance."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import func, select

from mda.meetings.models import Invitation, Meeting
from tests.conftest import audit_rows, csrf_token, form_post, text_of
from tests.meetings.conftest import calendars_in, case_items, events, local, mail_to


def _invitations(db, meeting):
    db.expire_all()
    return {i.user_id: i for i in db.exec(select(Invitation).where(Invitation.meeting_id == meeting.id))}


def test_inviting_someone_outside_the_case_circle_is_refused(app, client, auth, db, world, plan):
    """Is a professional outside the case's circle refused (Dutch message), with no invitation and no mail?"""
    meeting = plan()
    items = case_items(db, meeting)
    auth.login(world["coordinator"])
    ggz = world["users"]["GGZ"]
    resp = form_post(app, client, f"/overleggen/{meeting.id}/uitnodigen",
                     {"user_id": ggz.id, "item_ids": [items[world["case_a"].id]], "required": "y"},
                     follow_redirects=True)
    assert "hoort niet bij de kring van" in text_of(resp.text)
    assert ggz.id not in _invitations(db, meeting) and not mail_to(app, ggz)
    # the whole meeting needs the circle of every case on the agenda
    resp = client.post(f"/api/v1/meetings/{meeting.id}/invitations", json={"user_id": world["users"]["POL"].id},
                       headers={"X-CSRFToken": csrf_token(app, client)})
    assert resp.status_code == 422 and "hoort niet bij de kring" in resp.get_json()["message"]


def test_partner_is_invited_only_for_its_own_case_item(app, client, auth, db, world, plan):
    """Does an invitation for case A's item give POL one e-mail with one event at that item's times?"""
    meeting = plan()
    items = case_items(db, meeting)
    pol = world["users"]["POL"]
    auth.login(world["coordinator"])
    resp = form_post(app, client, f"/overleggen/{meeting.id}/uitnodigen",
                     {"user_id": pol.id, "item_ids": [items[world["case_a"].id]], "required": "y"})
    assert resp.status_code == 302
    inv = _invitations(db, meeting)[pol.id]
    assert not inv.whole_meeting and inv.response == "open"
    (message,) = mail_to(app, pol)
    (cal,) = calendars_in(message)
    (event,) = events(cal)
    assert world["case_a"].reference in str(event["SUMMARY"])
    assert event.decoded("DTSTART") == local(*_ymd(meeting), 10, 15)  # after opening (5) and open actions (10)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=30)
    assert audit_rows(db, action="create", object_type="invitation")


def _ymd(meeting):
    from mda.core.timeutil import to_local

    d = to_local(meeting.starts_at)
    return d.year, d.month, d.day


def test_each_answer_and_the_coordinators_overview(app, client, auth, db, world, plan, invite):
    """Can invitees accept, decline and answer tentatively, and does the coordinator see every answer at a glance?"""
    meeting = plan(type_code="mda-conferentie", cases=[world["case_a"]], minutes=90)
    users = world["users"]
    for key in ("VT", "POL", "LEAD_POL"):
        invite(meeting, world["coordinator"], users[key])
    for key, answer in (("VT", "geaccepteerd"), ("POL", "afgewezen"), ("LEAD_POL", "onder_voorbehoud")):
        auth.login(users[key])
        assert form_post(app, client, f"/overleggen/{meeting.id}/antwoord", {"response": answer}).status_code == 302
        auth.logout()
    invs = _invitations(db, meeting)
    assert [invs[users[k].id].response for k in ("VT", "POL", "LEAD_POL")] == [
        "geaccepteerd", "afgewezen", "onder_voorbehoud"]
    auth.login(world["coordinator"])
    page = text_of(client.get(f"/overleggen/{meeting.id}").text)
    assert "1 komen · 1 komen niet · 1 onder voorbehoud" in page
    assert "Komt niet" in page and "Onder voorbehoud" in page
    listing = text_of(client.get("/overleggen/").text)
    assert "1 komen · 1 niet · 1 voorbehoud" in listing


def test_delegation_to_a_colleague_of_the_same_organisation(app, client, auth, db, world, plan, invite):
    """Can POL delegate to a colleague of its own organisation (who gets an invitation and is named in the
    coordinator's table), but not to someone of another organisation?"""
    meeting = plan(type_code="mda-conferentie", cases=[world["case_a"]], minutes=90)
    pol, lead, vt = world["users"]["POL"], world["users"]["LEAD_POL"], world["users"]["VT"]
    invite(meeting, world["coordinator"], pol)
    auth.login(pol)
    resp = form_post(app, client, f"/overleggen/{meeting.id}/antwoord",
                     {"response": "gedelegeerd", "delegate_to_id": vt.id}, follow_redirects=True)
    assert "collega van uw eigen organisatie" in text_of(resp.text)
    assert _invitations(db, meeting)[pol.id].response == "open"
    resp = form_post(app, client, f"/overleggen/{meeting.id}/antwoord",
                     {"response": "gedelegeerd", "delegate_to_id": lead.id})
    assert resp.status_code == 302
    invs = _invitations(db, meeting)
    assert invs[pol.id].response == "gedelegeerd" and invs[pol.id].delegated_to_id == lead.id
    assert invs[lead.id].delegated_from_id == invs[pol.id].id and invs[lead.id].response == "open"
    auth.logout()
    auth.login(world["coordinator"])  # the coordinator's table names the delegate with the answer
    table = text_of(client.get(f"/overleggen/{meeting.id}").text)
    assert f"Gedelegeerd aan {lead.name}" in table
    (message,) = mail_to(app, lead)
    (event,) = events(calendars_in(message)[0])
    assert str(event["UID"]) == str(events(calendars_in(mail_to(app, pol)[0])[0])[0]["UID"])


def test_attendance_is_recorded_by_the_chair_not_by_a_participant(app, client, auth, db, world, plan, invite):
    """Does the coordinator record present/absent/excused at the meeting, while a participant gets 403?"""
    start = local(2026, 11, 2, 10)  # a past meeting
    meeting = plan(type_code="mda-conferentie", cases=[world["case_a"]], minutes=90, start=start)
    for key in ("VT", "POL"):
        invite(meeting, world["coordinator"], world["users"][key])
    invs = _invitations(db, meeting)
    vt_inv, pol_inv = invs[world["users"]["VT"].id], invs[world["users"]["POL"].id]
    auth.login(world["users"]["VT"])
    resp = form_post(app, client, f"/overleggen/{meeting.id}/aanwezigheid", {f"attendance-{vt_inv.id}": "aanwezig"})
    assert resp.status_code == 403
    auth.logout()
    auth.login(world["coordinator"])
    resp = form_post(app, client, f"/overleggen/{meeting.id}/aanwezigheid",
                     {f"attendance-{vt_inv.id}": "aanwezig", f"attendance-{pol_inv.id}": "afgemeld"})
    assert resp.status_code == 302
    invs = _invitations(db, meeting)
    assert invs[vt_inv.user_id].attendance == "aanwezig" and invs[pol_inv.user_id].attendance == "afgemeld"
    resp = client.put(f"/api/v1/meetings/{meeting.id}/attendance", headers={"X-CSRFToken": csrf_token(app, client)},
                      json={"entries": [{"invitation_id": pol_inv.id, "attendance": "afwezig"}]})
    assert resp.status_code == 200
    assert {i["user_id"]: i["attendance"] for i in resp.get_json()["invitations"]}[pol_inv.user_id] == "afwezig"


def test_attendance_cannot_be_recorded_long_before_the_meeting(app, client, auth, db, world, plan, invite):
    """Is attendance for a meeting next month refused with a Dutch message?"""
    meeting = plan(type_code="mda-conferentie", cases=[world["case_a"]], minutes=90)
    invite(meeting, world["coordinator"], world["users"]["VT"])
    inv = _invitations(db, meeting)[world["users"]["VT"].id]
    auth.login(world["coordinator"])
    resp = form_post(app, client, f"/overleggen/{meeting.id}/aanwezigheid", {f"attendance-{inv.id}": "aanwezig"},
                     follow_redirects=True)
    assert "Aanwezigheid legt u vast bij het overleg" in text_of(resp.text)
    assert _invitations(db, meeting)[inv.user_id].attendance is None


def test_chair_and_minute_taker_are_invited_by_their_role(app, db, world, plan):
    """Do chair and minute-taker get a whole-meeting invitation (and an e-mail) when the meeting is planned?"""
    vt, lt = world["users"]["VT"], world["users"]["LT"]
    meeting = plan(chair_id=vt.id, minute_taker_id=lt.id)
    invs = _invitations(db, meeting)
    assert invs[vt.id].role == "voorzitter" and invs[lt.id].role == "notulist"
    assert invs[vt.id].whole_meeting and mail_to(app, vt) and mail_to(app, lt)
    assert db.exec(select(func.count()).select_from(Meeting)).one() == 1


def test_home_page_shows_invitations_waiting_for_an_answer(app, client, auth, db, world, plan, invite, make_user):
    """Does a partner's start page show the next meeting and the invitation still to answer, and an
    administrator's start page no meetings panel?"""
    meeting = plan(type_code="mda-conferentie", cases=[world["case_a"]], minutes=90)
    invite(meeting, world["coordinator"], world["users"]["POL"])
    auth.login(world["users"]["POL"])
    page = text_of(client.get("/").text)
    assert "1 uitnodiging(en) wachten op uw antwoord" in page and meeting.title in page
    auth.logout()
    auth.login(make_user(roles=("admin",)))
    assert "wachten op uw antwoord" not in text_of(client.get("/").text)


def test_a_large_organisation_delegates_by_address_not_by_a_list_of_everyone(app, client, auth, db, world, plan,
                                                                            invite, make_user, monkeypatch):
    """When the organisation has more colleagues than the form lists, is the colleague named by e-mail address
    (the page no longer lists them all), delegated to when the address is a colleague's, and refused with one
    Dutch message for an unknown address and for someone of another organisation alike?"""
    from mda.meetings import invitations

    monkeypatch.setattr(invitations, "COLLEAGUE_LIST_LIMIT", 1)
    meeting = plan(type_code="mda-conferentie", cases=[world["case_a"]], minutes=90)
    pol, lead, vt = world["users"]["POL"], world["users"]["LEAD_POL"], world["users"]["VT"]
    extra = make_user(org=db.get(type(world["orgs"]["POL"]), pol.organisation_id))
    invite(meeting, world["coordinator"], pol)
    auth.login(pol)
    page = client.get(f"/overleggen/{meeting.id}").text
    assert 'name="delegate_email"' in page and 'name="delegate_to_id"' not in page and extra.name not in page
    url = f"/overleggen/{meeting.id}/antwoord"
    for address in ("niemand@example.test", vt.email):
        resp = form_post(app, client, url, {"response": "gedelegeerd", "delegate_email": address},
                         follow_redirects=True)
        assert "geen actieve collega van uw organisatie met dit e-mailadres" in text_of(resp.text)
        assert _invitations(db, meeting)[pol.id].response == "open"
    resp = form_post(app, client, url, {"response": "gedelegeerd", "delegate_email": f"  {lead.email.upper()} "})
    assert resp.status_code == 302
    assert _invitations(db, meeting)[pol.id].delegated_to_id == lead.id


def test_invitable_people_are_the_ones_who_can_open_the_case_and_nobody_else(db, world, plan, make_user):
    """Are the invitable people of a case item exactly those the engine lets open the case (coordinator, named
    professionals, team leads of circle organisations), while a colleague in a circle organisation who is not
    named is neither offered nor loaded?"""
    from mda.core import sharing
    from mda.meetings import invitations
    from mda.meetings.access import agenda_items

    meeting = plan(type_code="mda-conferentie", cases=[world["case_a"]], minutes=90)
    unnamed = make_user(org=world["orgs"]["POL"])  # POL is in case A's circle, this professional is not named
    items = [i for i in agenda_items(db, meeting) if i.case_id]
    offered = {u.id for u in invitations.invitable_by_item(db, meeting, items)[items[0].id]}
    ctx = sharing.load_context(db, db.get(type(world["case_a"]), world["case_a"].id))
    everyone = db.exec(select(type(unnamed))).all()
    expected = {u.id for u in everyone if u.active and u.roles & set(invitations.WORK_ROLES)
                and sharing.can_open_case(u, ctx.case, ctx)}
    assert offered == expected and world["users"]["LEAD_POL"].id in offered and unnamed.id not in offered


def test_taken_off_a_case_s_circle_a_professional_is_no_longer_invited_for_it(app, db, world, plan, invite, service):
    """When the coordinator takes POL off case A's circle, is POL's invitation for case A's slot of a coming meeting
    withdrawn with a cancellation by e-mail (and an audit row with ids only), does VT's whole-meeting invitation to
    a meeting about case A alone end too once VT leaves, and is an invitation for another case left alone?"""
    from mda.cases import circle
    from mda.cases.models import Case
    from mda.core import sharing

    pol, vt, ggz = world["users"]["POL"], world["users"]["VT"], world["users"]["GGZ"]
    both = plan(cases=[world["case_a"], world["case_b"]])
    items = case_items(db, both)
    invite(both, world["coordinator"], pol, [items[world["case_a"].id]])
    invite(both, world["coordinator"], ggz, [items[world["case_b"].id]])
    only_a = plan(cases=[world["case_a"]], title="Alleen A")
    invite(only_a, world["coordinator"], vt)  # the whole meeting

    def invitation(meeting, user) -> Invitation:
        return db.exec(select(Invitation).where(Invitation.meeting_id == meeting.id,
                                                Invitation.user_id == user.id)).one()

    pol_inv, ggz_inv, vt_inv = invitation(both, pol), invitation(both, ggz), invitation(only_a, vt)
    assert not vt_inv.withdrawn_at and vt_inv.whole_meeting and not pol_inv.whole_meeting
    before = {who.id: len(mail_to(app, who)) for who in (pol, vt, ggz)}

    def take_off(s, coordinator, who_id):
        case = s.get(Case, world["case_a"].id)
        circle.remove_member(s, coordinator, sharing.load_context(s, case), who_id)

    for who in (pol, vt):
        service(take_off, world["coordinator"], who.id)
    db.expire_all()
    assert db.get(Invitation, pol_inv.id).withdrawn_at is not None
    assert db.get(Invitation, vt_inv.id).withdrawn_at is not None
    assert db.get(Invitation, ggz_inv.id).withdrawn_at is None
    for who in (pol, vt):
        (cancel,) = mail_to(app, who)[before[who.id]:]
        assert cancel["Subject"].startswith("Geannuleerd: ")
    assert len(mail_to(app, ggz)) == before[ggz.id]
    rows = [r for r in audit_rows(db, object_type="invitation", action="delete") if "kring" in r.summary]
    assert {r.object_id for r in rows} == {str(pol_inv.id), str(vt_inv.id)}
    assert all(pol.email not in r.summary and world["case_a"].reference not in r.summary for r in rows)


def test_an_invitation_for_two_cases_keeps_the_one_still_open(app, db, world, plan, invite, service):
    """GGZ, named in both cases' circles and invited for both slots, is taken off case A's circle: does the
    invitation stay for case B, without case A's slot, with a cancellation of that slot only?"""
    from mda.cases import circle
    from mda.cases.models import Case
    from mda.core import sharing
    from mda.meetings.models import InvitationItem

    ggz = world["users"]["GGZ"]

    def change(s, coordinator, step):
        case = s.get(Case, world["case_a"].id)
        step(s, coordinator, sharing.load_context(s, case))

    service(change, world["coordinator"], lambda s, c, ctx: circle.add_organisation(s, c, ctx, ggz.organisation_id))
    service(change, world["coordinator"], lambda s, c, ctx: circle.add_member(s, c, ctx, ggz.id))
    meeting = plan(cases=[world["case_a"], world["case_b"]])
    items = case_items(db, meeting)
    invite(meeting, world["coordinator"], ggz, [items[world["case_a"].id], items[world["case_b"].id]])
    before = len(mail_to(app, ggz))
    service(change, world["coordinator"], lambda s, c, ctx: circle.remove_member(s, c, ctx, ggz.id))
    db.expire_all()
    inv = db.exec(select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.user_id == ggz.id)).one()
    assert inv.withdrawn_at is None
    linked = set(db.exec(select(InvitationItem.agenda_item_id).where(InvitationItem.invitation_id == inv.id)))
    assert linked == {items[world["case_b"].id]}
    (cancel,) = mail_to(app, ggz)[before:]
    assert cancel["Subject"].startswith("Geannuleerd: ") and world["case_b"].reference not in cancel["Subject"]
