"""Planning through the forms: the type's template pre-filled, agenda slots, series editing, cancellation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from mda.core.timeutil import as_utc, to_local
from mda.meetings.access import agenda_items
from mda.meetings.models import AgendaItem, Meeting, MeetingSeries
from tests.conftest import audit_rows, csrf_token, form_post, text_of, today, working_day
from tests.meetings.conftest import AMS, case_items, future_monday, mail_to

#: a Tuesday some weeks ahead: the dates here were once fixed, and a fixed date goes by (planning in the
#: past asks for a confirmation, so such a test starts failing on its own)
DAY = (future_monday(weeks=3) + timedelta(days=1)).date()


def _at(days: int, hour: int = 10) -> datetime:
    """*days* after DAY at *hour*, Europe/Amsterdam."""
    day = DAY + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=AMS)


def _series(db, series_id):
    db.expire_all()
    return list(db.exec(select(Meeting).where(Meeting.series_id == series_id).order_by(Meeting.original_start)))


def test_create_form_is_prefilled_with_the_types_template(client, auth, world):
    """Does the form for a casuïstiekoverleg show its standard agenda items, durations and case slot?"""
    auth.login(world["coordinator"])
    page = client.get("/overleggen/nieuw?type=casuistiekoverleg").text
    assert 'value="Opening en geheimhoudingsverklaring"' in page and 'value="Openstaande acties van de vorige keer"'\
        in page
    assert 'name="case_minutes"' in page and 'value="30"' in page
    assert world["case_a"].reference in page and world["case_b"].reference in page
    chooser = text_of(client.get("/overleggen/nieuw").text)
    assert "MDA++-conferentie" in chooser and "Escalatieoverleg" in chooser


def test_planning_through_the_form_times_each_case_and_puts_children_first(app, client, auth, db, world):
    """Does a casuïstiekoverleg planned in the form get consecutive slots, case A (with a child) first even when
    chosen second, stored in UTC, with an audit row?"""
    auth.login(world["coordinator"])
    data = {"type_code": "casuistiekoverleg", "title": "Casuïstiekoverleg Noord", "day": f"{DAY}",
            "start_time": "13:00", "end_time": "15:00", "location": "Zaal 3", "chair_id": "0", "minute_taker_id": "0",
            "case_ids": [str(world["case_b"].id), str(world["case_a"].id)], "case_minutes": "25",
            "agenda-0-title": "Opening en geheimhoudingsverklaring", "agenda-0-minutes": "5",
            "agenda-1-title": "Casusbespreking", "agenda-1-cases": "1",
            "agenda-2-title": "Afsluiting", "agenda-2-minutes": "10", "agenda-3-title": "", "frequency": ""}
    resp = form_post(app, client, "/overleggen/nieuw?type=casuistiekoverleg", data)
    assert resp.status_code == 302, text_of(resp.text)[:1500]
    meeting = db.exec(select(Meeting)).one()
    assert as_utc(meeting.starts_at) == _at(0, 13).astimezone(UTC)
    items = agenda_items(db, meeting)
    assert [(i.kind, to_local(i.starts_at).strftime("%H:%M"), i.minutes) for i in items] == [
        ("algemeen", "13:00", 5), ("casussen", "13:05", 0), ("casus", "13:05", 25), ("casus", "13:30", 25),
        ("algemeen", "13:55", 10)]
    assert [i.case_id for i in items if i.kind == "casus"] == [world["case_a"].id, world["case_b"].id]
    assert audit_rows(db, action="create", object_type="meeting")


def test_an_agenda_longer_than_the_meeting_is_refused(app, client, auth, db, world):
    """Is an agenda that does not fit in the meeting's time refused, with nothing saved?"""
    auth.login(world["coordinator"])
    data = {"type_code": "mda-conferentie", "title": "Conferentie", "day": f"{DAY}", "start_time": "13:00",
            "end_time": "13:30", "location": "Zaal 3", "chair_id": "0", "minute_taker_id": "0",
            "case_ids": [str(world["case_a"].id)], "case_minutes": "60", "agenda-0-title": "Casus",
            "agenda-0-cases": "1"}
    resp = form_post(app, client, "/overleggen/nieuw?type=mda-conferentie", data)
    assert "De agenda duurt 60 minuten, maar het overleg maar 30 minuten" in text_of(resp.text)
    assert db.exec(select(Meeting)).first() is None


def test_conference_has_exactly_one_case(app, client, auth, db, world):
    """Is an MDA++ conference with two cases refused?"""
    auth.login(world["coordinator"])
    body = {"type": "mda-conferentie", "title": "Conferentie", "start": f"{DAY}T13:00", "end": f"{DAY}T15:00",
            "location": "Zaal 1", "case_ids": [world["case_a"].id, world["case_b"].id]}
    resp = client.post("/api/v1/meetings", json=body, headers={"X-CSRFToken": csrf_token(app, client)})
    assert resp.status_code == 422 and "precies één casus" in resp.get_json()["message"]


def test_a_title_with_a_persons_name_is_refused(app, client, auth, db, world):
    """Is a title that names a person of a case on the agenda refused (titles go into calendars and e-mail)?"""
    auth.login(world["coordinator"])
    body = {"type": "mda-conferentie", "title": f"Overleg {world['persons'][0].name}", "start": f"{DAY}T13:00",
            "end": f"{DAY}T15:00", "location": "Zaal 1", "case_ids": [world["case_a"].id]}
    resp = client.post("/api/v1/meetings", json=body, headers={"X-CSRFToken": csrf_token(app, client)})
    assert resp.status_code == 422 and "naam van een betrokkene" in resp.get_json()["message"]


def test_a_case_outside_the_coordinators_circle_cannot_be_put_on_the_agenda(app, client, auth, db, world):
    """Can another coordinator, outside case A's circle, not plan a meeting about it?"""
    auth.login(world["other_coordinator"])
    body = {"type": "mda-conferentie", "title": "Conferentie", "start": f"{DAY}T13:00", "end": f"{DAY}T15:00",
            "location": "Zaal 1", "case_ids": [world["case_a"].id]}
    resp = client.post("/api/v1/meetings", json=body, headers={"X-CSRFToken": csrf_token(app, client)})
    assert resp.status_code == 422 and "kring" in resp.get_json()["message"]


def test_api_plans_a_series_and_lists_it(app, client, auth, db, world):
    """Does POST /api/v1/meetings plan a weekly series (every occurrence stored) and GET list it?"""
    auth.login(world["coordinator"])
    start = working_day(14)
    body = {"type": "casuistiekoverleg", "title": "Wekelijks overleg", "start": f"{start}T10:00",
            "end": f"{start}T12:00", "location": "Zaal 1", "case_ids": [world["case_a"].id],
            "series": {"frequency": "wekelijks", "until": str(start + timedelta(weeks=3))}}
    resp = client.post("/api/v1/meetings", json=body, headers={"X-CSRFToken": csrf_token(app, client)})
    assert resp.status_code == 201, resp.text
    out = resp.get_json()
    assert out["series_id"] and out["start_local"].startswith(f"{start}T10:00")
    assert len(_series(db, out["series_id"])) == 4
    listed = client.get("/api/v1/meetings").get_json()["meetings"]
    assert len(listed) == 4 and listed[0]["id"] == out["id"]


def test_edit_this_one_moves_only_that_occurrence(app, client, auth, db, world, plan):
    """Does 'alleen deze' move one occurrence (detached) and leave the others at the series time?"""
    first = plan(start=_at(0), frequency="wekelijks", until=DAY + timedelta(days=21))
    series = _series(db, first.series_id)
    auth.login(world["coordinator"])
    resp = form_post(app, client, f"/overleggen/{series[1].id}/bewerken", {
        "title": first.title, "day": f"{DAY + timedelta(days=8)}", "start_time": "14:00", "end_time": "16:00",
        "location": "Zaal 9", "chair_id": "0", "minute_taker_id": "0", "scope": "deze", "confirm_conflicts": "y"})
    assert resp.status_code == 302, text_of(resp.text)[:1500]
    after = _series(db, first.series_id)
    assert after[1].detached and to_local(after[1].starts_at) == _at(8, 14)
    assert [to_local(m.starts_at).hour for m in after] == [10, 14, 10, 10]
    assert after[1].location == "Zaal 9" and after[2].location != "Zaal 9"


def test_edit_all_following_splits_the_series(app, client, auth, db, world, plan, invite):
    """Does 'deze en alle volgende' end the old series the day before and start a new series (new UID) with the
    new time, keeping the invitees, who get the update?"""
    first = plan(start=_at(0), frequency="wekelijks", until=DAY + timedelta(days=21))
    invite(first, world["coordinator"], world["users"]["VT"], item_ids=[case_items(db, first)[world["case_a"].id]],
           following=True)
    old = _series(db, first.series_id)
    before = len(mail_to(app, world["users"]["VT"]))
    auth.login(world["coordinator"])
    resp = form_post(app, client, f"/overleggen/{old[2].id}/bewerken", {
        "title": "Nieuwe reeks", "day": f"{DAY + timedelta(days=14)}", "start_time": "09:00", "end_time": "11:00",
        "location": "Zaal 1", "chair_id": "0", "minute_taker_id": "0", "scope": "volgende",
        "frequency": "wekelijks", "until": f"{DAY + timedelta(days=28)}", "confirm_conflicts": "y"})
    assert resp.status_code == 302, text_of(resp.text)[:1500]
    db.expire_all()
    old_series = db.get(MeetingSeries, first.series_id)
    assert old_series.until == DAY + timedelta(days=13) and len(_series(db, old_series.id)) == 2
    moved = db.get(Meeting, old[2].id)
    new_series = db.get(MeetingSeries, moved.series_id)
    assert new_series.id != old_series.id and new_series.uid != old_series.uid
    new = _series(db, new_series.id)
    assert [to_local(m.starts_at) for m in new] == [_at(14, 9), _at(21, 9), _at(28, 9)]
    assert all(m.title == "Nieuwe reeks" for m in new)
    # the new, third occurrence has the same agenda and the same invitee
    assert [i.case_id for i in agenda_items(db, new[2]) if i.kind == "casus"] == [world["case_a"].id,
                                                                                 world["case_b"].id]
    assert len(mail_to(app, world["users"]["VT"])) > before


def test_cancel_the_rest_of_a_series(app, client, auth, db, world, plan):
    """Does cancelling 'alle komende' cancel every coming occurrence and the series?"""
    first = plan(start=_at(0), frequency="wekelijks", until=DAY + timedelta(days=21))
    auth.login(world["coordinator"])
    resp = form_post(app, client, f"/overleggen/{first.id}/annuleren", {"scope": "reeks", "reason": "Reeks stopt"},
                     follow_redirects=True)
    assert "4 bijeenkomsten zijn geannuleerd" in text_of(resp.text)
    assert all(m.cancelled for m in _series(db, first.series_id))
    assert db.get(MeetingSeries, first.series_id).cancelled_at is not None


def test_add_and_remove_a_case_item_retimes_the_agenda(app, client, auth, db, world, plan, make_case):
    """Does adding a case put it in the case block with its own slot (after the others), and removing one
    move the later items up?"""
    meeting = plan(cases=[world["case_b"]])
    extra = make_case(world["coordinator"])
    auth.login(world["coordinator"])
    assert form_post(app, client, f"/overleggen/{meeting.id}/casussen", {"case_id": extra.id, "minutes": "20"}) \
        .status_code == 302
    items = {i.case_id: i for i in agenda_items(db, db.get(Meeting, meeting.id)) if i.kind == "casus"}
    assert to_local(items[extra.id].starts_at).strftime("%H:%M") == "10:45" and items[extra.id].minutes == 20
    resp = form_post(app, client, f"/overleggen/{meeting.id}/casussen/{items[world['case_b'].id].id}/verwijderen",
                     {"reason": "Casus besproken in ander overleg"})
    assert resp.status_code == 302
    db.expire_all()
    items = {i.case_id: i for i in db.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id))}
    assert world["case_b"].id not in items
    assert to_local(items[extra.id].starts_at).strftime("%H:%M") == "10:15"


def test_a_typed_reference_puts_its_case_on_the_agenda(app, client, auth, db, world, plan, make_case):
    """Does a case reference typed in lower case and with spaces put that case on the agenda, as picking it from the
    list would?"""
    meeting = plan(cases=[world["case_b"]])
    extra = make_case(world["coordinator"])
    auth.login(world["coordinator"])
    resp = form_post(app, client, f"/overleggen/{meeting.id}/casussen",
                     {"case_id": "0", "reference": f"  {extra.reference.lower()} ", "minutes": "20"},
                     follow_redirects=True)
    assert "De casus staat op de agenda." in text_of(resp.text)
    assert set(case_items(db, meeting)) == {world["case_b"].id, extra.id}


@pytest.mark.parametrize(("sent", "message"), [
    ({"case_id": "0", "reference": ""}, "Kies een casus of typ het casusnummer."),
    ({"case_id": "geen getal", "reference": " "}, "Kies een casus of typ het casusnummer."),
    ({"case_id": "{extra}", "reference": "{extra_ref}"}, "Kies een casus óf typ een casusnummer, niet allebei."),
    ({"case_id": "0", "reference": "MDA-" + "9" * 30}, "Een casusnummer heeft hoogstens 20 tekens."),
])
def test_adding_a_case_asks_for_one_case(app, client, auth, db, world, plan, make_case, sent, message):
    """Is "Op de agenda zetten" with neither a picked case nor a typed reference, with both, or with something that
    names no case, refused with a Dutch message that says what to do, and the agenda left as it was?"""
    meeting = plan(cases=[world["case_b"]])
    extra = make_case(world["coordinator"])
    auth.login(world["coordinator"])
    data = {k: v.format(extra=extra.id, extra_ref=extra.reference) for k, v in sent.items()}
    resp = form_post(app, client, f"/overleggen/{meeting.id}/casussen", data, follow_redirects=True)
    assert resp.status_code == 200 and message in text_of(resp.text)
    assert set(case_items(db, meeting)) == {world["case_b"].id}


def test_a_typed_reference_outside_the_circle_says_no_more_than_an_unknown_one(app, client, auth, db, world, plan,
                                                                                make_case):
    """Does a typed reference of a case outside the coordinator's circles get the same message as one that does
    not exist, leave the agenda as it was, and put the attempt on record as denied?"""
    meeting = plan(cases=[world["case_b"]])
    elsewhere = make_case(world["other_coordinator"])
    auth.login(world["coordinator"])
    url = f"/overleggen/{meeting.id}/casussen"
    outside = text_of(form_post(app, client, url, {"reference": elsewhere.reference}, follow_redirects=True).text)
    unknown = text_of(form_post(app, client, url, {"reference": "MDA-1999-9999"}, follow_redirects=True).text)
    message = "Deze casus bestaat niet, is gesloten, of u hoort niet bij de kring ervan."
    assert message in outside and message in unknown
    assert elsewhere.reference not in outside
    assert set(case_items(db, meeting)) == {world["case_b"].id}
    denied = [r for r in audit_rows(db) if r.action == "denied" and r.case_id == elsewhere.id]
    assert len(denied) == 1 and denied[0].user_id == world["coordinator"].id


def test_the_agenda_offers_the_most_urgent_and_newest_open_cases(app, client, auth, db, world, plan, make_case):
    """Does "Op de agenda zetten" list at most AGENDA_PICKS of the coordinator's open cases, acute and high urgency
    first and then the newest, without the agenda's own or closed cases, and point to the reference field for the
    rest?"""
    from mda.core import clock
    from mda.meetings.pages import AGENDA_PICKS

    meeting = plan(cases=[world["case_b"]])
    made = [make_case(world["coordinator"]) for _ in range(AGENDA_PICKS + 3)]
    acute = make_case(world["coordinator"], urgency="acuut")
    high = make_case(world["coordinator"], urgency="hoog")
    closed = make_case(world["coordinator"], urgency="acuut", closed_at=clock.now())
    # the acute case older than the high one, the world's case A the oldest of all
    for age, case in enumerate([high, acute, *reversed(made), db.get(type(high), world["case_a"].id)], start=1):
        case.opened_at = clock.now() - timedelta(hours=age)
    db.commit()
    auth.login(world["coordinator"])
    page = client.get(f"/overleggen/{meeting.id}").text
    select = re.search(r'<select[^>]*name="case_id".*?</select>', page, re.S).group(0)
    offered = re.findall(r"MDA-\d{4}-\d+", select)
    newest = [c.reference for c in reversed(made)]
    assert offered == [acute.reference, high.reference, *newest[:AGENDA_PICKS - 2]]
    assert world["case_b"].reference not in offered and closed.reference not in offered
    assert "urgentie acuut" in select and 'name="reference"' in page
    assert "De urgentste en nieuwste van uw open casussen." in page


def _planning_form(**fields) -> dict:
    """A casuïstiekoverleg three weeks ahead as the planning form sends it, with *fields* on top."""
    return {"type_code": "casuistiekoverleg", "title": "Casuïstiekoverleg Testregio", "day": DAY.isoformat(),
            "start_time": "10:00", "end_time": "12:00", "case_minutes": "30", "location": "Zaal 2", "chair_id": "0",
            "minute_taker_id": "0", "frequency": "", "scope": "deze", "agenda-0-title": "Casusbespreking",
            "agenda-0-cases": "1", **fields}


def test_the_planning_form_lists_the_most_urgent_and_newest_and_the_case_it_came_from(app, client, auth, db, world,
                                                                                      make_case):
    """Does the planning form tick-list at most AGENDA_PICKS open cases (with the field for any other reference),
    and still list and tick the case the coordinator came from when it is older than all of them?"""
    from mda.core import clock
    from mda.meetings.pages import AGENDA_PICKS

    made = [make_case(world["coordinator"]) for _ in range(AGENDA_PICKS + 2)]
    oldest = db.get(type(made[0]), world["case_a"].id)
    oldest.opened_at = clock.now() - timedelta(days=400)
    db.commit()
    auth.login(world["coordinator"])
    page = client.get("/overleggen/nieuw?type=casuistiekoverleg").text
    assert len(re.findall(r'name="case_ids"', page)) == AGENDA_PICKS and 'name="case_references"' in page
    assert oldest.reference not in page and "de urgentste en nieuwste van uw open casussen" in page
    page = client.get(f"/overleggen/nieuw?type=casuistiekoverleg&casus={oldest.id}").text
    assert len(re.findall(r'name="case_ids"', page)) == AGENDA_PICKS + 1
    assert re.search(rf'checked[^>]*value="{oldest.id}"|value="{oldest.id}"[^>]*checked', page)


def test_a_meeting_is_planned_with_cases_typed_by_reference(app, client, auth, db, world):
    """Does the planning form put a ticked case and the cases typed by reference (separated by a comma and a
    space, in lower case) on the agenda, each once?"""
    auth.login(world["coordinator"])
    a, b = world["case_a"], world["case_b"]
    resp = form_post(app, client, "/overleggen/nieuw?type=casuistiekoverleg", _planning_form(
        case_ids=[a.id], case_references=f"{b.reference.lower()}, {a.reference}"))
    assert resp.status_code == 302, text_of(resp.text)[500:1500]
    meeting = db.exec(select(Meeting).order_by(Meeting.id.desc())).first()
    assert set(case_items(db, meeting)) == {a.id, b.id}


def test_a_typed_reference_outside_the_circle_plans_nothing(app, client, auth, db, world, make_case):
    """Does a reference of a case outside the coordinator's circles get the same message as an unknown one, with
    the typed text kept, nothing planned, and the attempt on record as denied?"""
    elsewhere = make_case(world["other_coordinator"])
    auth.login(world["coordinator"])
    message = "Deze casus bestaat niet, is gesloten, of u hoort niet bij de kring ervan."
    for typed in (elsewhere.reference, "MDA-1999-9999"):
        resp = form_post(app, client, "/overleggen/nieuw?type=casuistiekoverleg", _planning_form(
            case_ids=[world["case_a"].id], case_references=typed))
        assert resp.status_code == 422 and message in text_of(resp.text) and f'value="{typed}"' in resp.text
    assert db.exec(select(Meeting)).first() is None
    denied = [r for r in audit_rows(db) if r.action == "denied" and r.case_id == elsewhere.id]
    assert len(denied) == 1


def test_the_api_asks_to_confirm_a_start_in_the_past(app, client, auth, db, world):
    """Is a meeting starting yesterday refused through the API with a Dutch question, and stored once confirmed?"""
    auth.login(world["coordinator"])
    day = today() - timedelta(days=1)
    body = {"type": "casuistiekoverleg", "title": "Overleg achteraf", "start": f"{day}T10:00", "end": f"{day}T11:00",
            "location": "Zaal 1", "case_ids": [world["case_a"].id]}
    headers = {"X-CSRFToken": csrf_token(app, client)}
    resp = client.post("/api/v1/meetings", json=body, headers=headers)
    assert resp.status_code == 422 and "ligt in het verleden" in resp.get_json()["message"]
    assert db.exec(select(Meeting)).first() is None
    resp = client.post("/api/v1/meetings", json=body | {"confirm_past": True}, headers=headers)
    assert resp.status_code == 201, resp.text
    moved = client.patch(f"/api/v1/meetings/{resp.get_json()['id']}", json={"title": "Overleg achteraf (gecorrigeerd)"},
                         headers=headers)
    assert moved.status_code == 200, "changing the title of a past meeting does not ask again"


def test_the_location_is_marked_required_and_a_missing_one_keeps_what_was_typed(app, client, auth, db, world):
    """Is the location marked as required (unless there is an online link) before the first save, and does a save
    without location or link say so in Dutch while keeping the title, times, cases and agenda typed?"""
    auth.login(world["coordinator"])
    form = text_of(client.get("/overleggen/nieuw?type=casuistiekoverleg").text)
    assert "verplicht zonder online link" in form and "Verplicht: vul een locatie in" in form
    data = {"type_code": "casuistiekoverleg", "title": "Casuïstiekoverleg Zuid getypt", "day": f"{DAY}",
            "start_time": "13:00", "end_time": "15:00", "location": "", "chair_id": "0", "minute_taker_id": "0",
            "case_ids": [str(world["case_b"].id)], "case_minutes": "25",
            "agenda-0-title": "Eigen openingspunt", "agenda-0-minutes": "7",
            "agenda-1-title": "Casusbespreking", "agenda-1-cases": "1", "frequency": ""}
    resp = form_post(app, client, "/overleggen/nieuw?type=casuistiekoverleg", data)
    assert "Vul een locatie of een link voor online deelname in." in text_of(resp.text)
    assert 'value="Casuïstiekoverleg Zuid getypt"' in resp.text and 'value="Eigen openingspunt"' in resp.text
    assert 'value="13:00"' in resp.text and 'value="15:00"' in resp.text
    checked = re.findall(r'<input checked[^>]*name="case_ids"[^>]*value="(\d+)"', resp.text)
    assert checked == [str(world["case_b"].id)]
    assert db.exec(select(Meeting)).first() is None


def test_an_agenda_row_with_minutes_out_of_range_is_named_in_the_summary_and_marked_at_the_row(app, client, auth, db,
                                                                                                world):
    """Does an agenda row with minutes out of range give the summary line "Agendapunt 1, Minuten: Kies 0 tot 480
    minuten." (linking to that row's minutes, not a Python dict like "{'minutes': [...]} {} {}") and show the
    message at the row's minutes field, without saving?"""
    auth.login(world["coordinator"])
    data = {"type_code": "casuistiekoverleg", "title": "Casuïstiekoverleg Zuid", "day": f"{DAY}",
            "start_time": "13:00", "end_time": "15:00", "location": "Stadhuis", "chair_id": "0",
            "minute_taker_id": "0", "case_ids": [str(world["case_b"].id)], "case_minutes": "25",
            "agenda-0-title": "Opening", "agenda-0-minutes": "999",
            "agenda-1-title": "Casusbespreking", "agenda-1-cases": "1",
            "agenda-2-title": "Rondvraag", "agenda-2-minutes": "5", "frequency": ""}
    resp = form_post(app, client, "/overleggen/nieuw?type=casuistiekoverleg", data)
    text = text_of(resp.text)
    assert "Het overleg is niet opgeslagen." in text
    assert '<a class="utrecht-link" href="#agenda-0-minutes">Agendapunt 1, Minuten: Kies 0 tot 480 minuten.</a>' \
        in resp.text
    assert "{'minutes'" not in resp.text and "{}" not in text
    row = re.search(r'<tr class="utrecht-table__row">(?:(?!</tr>).)*name="agenda-0-minutes".*?</tr>', resp.text, re.S)
    assert row and "Kies 0 tot 480 minuten." in row.group(0) and 'aria-invalid="true"' in row.group(0)
    assert db.exec(select(Meeting)).first() is None
