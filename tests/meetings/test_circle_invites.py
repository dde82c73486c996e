"""Case and meeting together: the case page's meetings, planning from the case, "Hele kring uitnodigen",
withdrawing one invitation and the home-page count of open invitations."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from mda.meetings.models import Invitation, InvitationItem, Meeting
from tests.conftest import audit_rows, form_post, text_of
from tests.meetings.conftest import calendars_in, case_items, future_monday, mail_to


def _invitations(db, meeting) -> dict[int, set[int] | None]:
    """user id -> invited agenda item ids (None: the whole meeting), withdrawn ones left out."""
    db.expire_all()
    result = {}
    for inv in db.exec(select(Invitation).where(Invitation.meeting_id == meeting.id,
                                                Invitation.withdrawn_at.is_(None))):
        result[inv.user_id] = None if inv.whole_meeting else set(db.exec(
            select(InvitationItem.agenda_item_id).where(InvitationItem.invitation_id == inv.id)))
    return result


def test_case_page_lists_its_meetings_and_offers_planning(client, auth, world, plan, invite, db):
    """Does the case page list the case's coming meeting with the viewer's own answer, offer "Overleg plannen"
    to the coordinator only, and leave out a meeting the viewer is not invited to?"""
    meeting = plan(cases=[world["case_a"]], type_code="mda-conferentie", minutes=90)
    pol = world["users"]["POL"]
    auth.login(world["coordinator"])
    page = client.get(f"/casussen/{world['case_a'].id}")
    assert page.status_code == 200
    html = page.text
    assert 'id="overleggen"' in html and f"/overleggen/{meeting.id}" in html
    assert f"/overleggen/nieuw?type=mda-conferentie&amp;casus={world['case_a'].id}" in html
    assert 'href="#overleggen"' in html and 'href="#kring"' in html  # the table of contents
    auth.logout()
    auth.login(pol)  # in the circle, not (yet) invited: the meeting is not shown, no planning
    html = client.get(f"/casussen/{world['case_a'].id}").text
    assert f"/overleggen/{meeting.id}" not in html and "Overleg plannen" not in html
    auth.logout()
    invite(meeting, world["coordinator"], pol, item_ids=[case_items(db, meeting)[world["case_a"].id]])
    auth.login(pol)
    text = text_of(client.get(f"/casussen/{world['case_a'].id}").text)
    assert "uw antwoord: nog geen antwoord" in text



def test_case_page_marks_a_cancelled_meeting_and_shows_its_planner_the_answers(client, auth, world, plan, invite,
                                                                               db):
    """Does the case page's meetings panel show the planner how many invitees answered what, and mark a
    meeting that was cancelled?"""
    import re

    meeting = plan(cases=[world["case_a"]], type_code="mda-conferentie", minutes=90)
    invite(meeting, world["coordinator"], world["users"]["POL"],
           item_ids=[case_items(db, meeting)[world["case_a"].id]])
    auth.login(world["coordinator"])
    text = text_of(client.get(f"/casussen/{world['case_a'].id}").text)
    assert re.search(r"\d+ komen, \d+ komen niet, \d+ onder voorbehoud, [1-9]\d* nog geen antwoord", text), text
    assert "(geannuleerd)" not in text
    meeting = db.get(Meeting, meeting.id)
    meeting.status = "geannuleerd"
    db.add(meeting)
    db.commit()
    text = text_of(client.get(f"/casussen/{world['case_a'].id}").text)
    assert "(geannuleerd)" in text

def test_planning_from_the_case_invites_each_circle_for_its_own_case(app, client, auth, world, db):
    """Does planning a casuïstiekoverleg for two cases with "kring uitnodigen" invite every named professional
    of each circle for that case's item only (need-to-know per case), with one audit row per case?"""
    a, b = world["case_a"], world["case_b"]
    users = world["users"]
    auth.login(world["coordinator"])
    form = client.get(f"/overleggen/nieuw?type=casuistiekoverleg&casus={a.id}")
    assert form.status_code == 200 and 'name="invite_circle"' in form.text and "checked" in form.text
    day = future_monday(weeks=3).date()
    resp = form_post(app, client, "/overleggen/nieuw?type=casuistiekoverleg", {
        "type_code": "casuistiekoverleg", "title": "Casuïstiekoverleg Testregio", "day": day.isoformat(),
        "start_time": "10:00", "end_time": "12:00", "case_ids": [a.id, b.id], "invite_circle": "y",
        "case_minutes": "30", "location": "Zaal 2", "chair_id": "0", "minute_taker_id": "0", "frequency": "",
        "scope": "deze",
        "agenda-0-title": "Casusbespreking", "agenda-0-cases": "1"})
    assert resp.status_code == 302, text_of(resp.text)[500:1500]
    meeting = db.exec(select(Meeting).order_by(Meeting.id.desc())).first()
    items = case_items(db, meeting)
    invited = _invitations(db, meeting)
    assert invited[users["VT"].id] == {items[a.id]} and invited[users["POL"].id] == {items[a.id]}
    assert invited[users["GGZ"].id] == {items[b.id]} and invited[users["LT"].id] == {items[b.id]}
    assert users["VT2"].id not in invited and users["OM"].id not in invited
    circle_rows = [r for r in audit_rows(db, object_type="invitation") if "kring van casus" in r.summary]
    assert {r.case_id for r in circle_rows} == {a.id, b.id}


def test_whole_circle_button_explains_organisations_without_anyone(app, client, auth, world, plan, db, make_org):
    """Does the meeting page offer "Hele kring uitnodigen" per case listing only who may be invited, explain
    that a circle organisation without a named professional has nobody to invite (and how to fix it), and
    does the button invite exactly those people for that case?"""
    from mda.cases.models import CaseOrganisation
    from mda.core.timeutil import utcnow

    om = world["orgs"]["OM"]
    db.add(CaseOrganisation(case_id=world["case_a"].id, organisation_id=om.id, added_at=utcnow()))
    db.commit()
    meeting = plan()
    items = case_items(db, meeting)
    auth.login(world["coordinator"])
    text = text_of(client.get(f"/overleggen/{meeting.id}").text)
    assert f"Niemand uit te nodigen van {om.name}" in text and "Kring beheren" in text
    assert f"Hele kring van {world['case_a'].reference} uitnodigen (2)" in text
    resp = form_post(app, client, f"/overleggen/{meeting.id}/casussen/{items[world['case_a'].id]}/kring-uitnodigen")
    assert resp.status_code == 302
    invited = _invitations(db, meeting)
    assert set(invited) == {world["users"]["VT"].id, world["users"]["POL"].id}
    # a second press invites nobody twice
    form_post(app, client, f"/overleggen/{meeting.id}/casussen/{items[world['case_a'].id]}/kring-uitnodigen")
    assert len(_invitations(db, meeting)) == 2


def test_withdrawing_an_invitation_cancels_for_that_person_only(app, client, auth, world, plan, invite, db):
    """Does withdrawing one invitation send a METHOD:CANCEL to that person only, keep the others, and
    leave an audit row?"""
    meeting = plan(cases=[world["case_a"]], type_code="mda-conferentie", minutes=90)
    vt, pol = world["users"]["VT"], world["users"]["POL"]
    invite(meeting, world["coordinator"], vt)
    invite(meeting, world["coordinator"], pol)
    inv = db.exec(select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.user_id == pol.id)).one()
    before_vt, before_pol = len(mail_to(app, vt)), len(mail_to(app, pol))
    auth.login(world["coordinator"])
    url = f"/overleggen/{meeting.id}/uitnodigingen/{inv.id}/intrekken"
    assert form_post(app, client, url).status_code == 422  # no reason: refused, nothing sent
    assert len(mail_to(app, pol)) == before_pol and pol.id in _invitations(db, meeting)
    assert form_post(app, client, url, {"reason": "Politie sluit niet meer aan"}).status_code == 302
    assert set(_invitations(db, meeting)) == {vt.id}
    assert len(mail_to(app, vt)) == before_vt
    (cancel,) = mail_to(app, pol)[before_pol:]
    (cal,) = calendars_in(cancel)
    assert str(cal["METHOD"]) == "CANCEL"
    assert audit_rows(db, action="delete", object_type="invitation")


def test_home_counts_a_series_invitation_once(app, client, auth, world, plan, invite, db):
    """Does the start page count an unanswered invitation to a series of several meetings as one invitation
    to answer, and stop counting it once answered?"""
    start = future_monday()
    meeting = plan(cases=[world["case_a"]], type_code="mda-conferentie", minutes=90, start=start,
                   frequency="tweewekelijks", until=(start + timedelta(weeks=8)).date())
    vt = world["users"]["VT"]
    invite(meeting, world["coordinator"], vt, following=True)
    assert len(_invitations(db, meeting)) == 1
    auth.login(vt)
    assert "1 uitnodiging(en)" in text_of(client.get("/").text)
    form_post(app, client, f"/overleggen/{meeting.id}/antwoord", {"response": "geaccepteerd", "following": "y",
                                                                  "delegate_to_id": "0"})
    assert "uitnodiging(en)" not in text_of(client.get("/").text)


def test_conference_offers_one_case_by_radio_and_no_second_case(client, auth, world, plan):
    """Does an MDA++ conference (exactly one case) offer its case as radio buttons, and its meeting page not
    offer "Op de agenda zetten" once the one case is on the agenda (it could only fail)?"""
    auth.login(world["coordinator"])
    form = client.get("/overleggen/nieuw?type=mda-conferentie").text
    assert 'type="radio" name="case_ids"' in form
    meeting = plan(cases=[world["case_a"]], type_code="mda-conferentie", minutes=90)
    assert "Op de agenda zetten" not in client.get(f"/overleggen/{meeting.id}").text
    other = plan(cases=[world["case_a"]], minutes=180, start=meeting.starts_at + timedelta(days=1))
    assert "Op de agenda zetten" in client.get(f"/overleggen/{other.id}").text
