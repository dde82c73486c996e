"""Every calendar file the app produces, parsed with icalendar: times across DST, series, sequence,
cancellation, reminders, and no personal data of the persons in a case."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil import rrule as du_rrule
from icalendar import Calendar
from sqlmodel import select

from mda.core.timeutil import as_utc
from mda.meetings import changes, feeds
from mda.meetings.ics import VTIMEZONE
from mda.meetings.models import Meeting
from mda.meetings.services import MeetingData
from tests.conftest import form_post
from tests.meetings.conftest import (
    AMS,
    calendars_in,
    case_items,
    events,
    future_monday,
    local,
    mail_to,
    outbox,
    personal_strings,
)


def _download(client, meeting_id) -> Calendar:
    resp = client.get(f"/overleggen/{meeting_id}/overleg.ics")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(resp.data)


def _vtimezone_tz(cal: Calendar):
    (tz,) = cal.walk("VTIMEZONE")
    assert str(tz["TZID"]) == "Europe/Amsterdam"
    return tz.to_tz()


def _series(db, meeting_id):
    db.expire_all()
    first = db.get(Meeting, meeting_id)
    return list(db.exec(select(Meeting).where(Meeting.series_id == first.series_id).order_by(Meeting.original_start)))


def test_vtimezone_agrees_with_the_tz_database():
    """Do the yearly rules of the VTIMEZONE we ship give the same UTC offsets as the tz database, 2026-2035?"""
    tz = Calendar.from_ical("BEGIN:VCALENDAR\r\n" + VTIMEZONE.replace("\n", "\r\n") + "END:VCALENDAR\r\n")
    ours = _vtimezone_tz(tz)
    moment = datetime(2026, 1, 1, 0, 30)
    while moment.year < 2036:
        assert moment.replace(tzinfo=ours).utcoffset() == moment.replace(tzinfo=AMS).utcoffset(), moment
        moment += timedelta(hours=7)


@pytest.mark.parametrize("first_day, last_day, utc_hours", [
    ((2027, 3, 16), (2027, 4, 6), [9, 9, 8, 8]),  # into summer time (28 March)
    ((2026, 10, 13), (2026, 11, 3), [8, 8, 9, 9]),  # back to winter time (25 October)
], ids=["spring", "autumn"])
def test_weekly_series_across_the_dst_change_is_read_at_the_same_local_time(client, auth, db, world, plan,
                                                                             first_day, last_day, utc_hours):
    """Does the downloaded series (TZID local time, VTIMEZONE, RRULE) expand to 10:00 local on every date
    around a daylight-saving change, i.e. a different UTC hour before and after, matching what is stored?"""
    first = plan(start=local(*first_day), frequency="wekelijks", until=date(*last_day))
    auth.login(world["coordinator"])
    cal = _download(client, first.id)
    tz = _vtimezone_tz(cal)
    (master,) = events(cal)
    start = master.decoded("DTSTART")
    assert master["DTSTART"].params["TZID"] == "Europe/Amsterdam" and start.hour == 10
    rule = master["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"] and rule["UNTIL"][0].tzinfo is not None
    # expand as a calendar program does: wall-clock recurrence in the file's own VTIMEZONE
    expanded = du_rrule.rrulestr(master["RRULE"].to_ical().decode(), dtstart=start.replace(tzinfo=tz))
    utc = [d.astimezone(UTC) for d in expanded]
    assert [d.hour for d in utc] == utc_hours
    assert all(d.astimezone(AMS).hour == 10 for d in utc)
    assert utc == [as_utc(m.starts_at) for m in _series(db, first.id)]
    assert str(master["UID"]) == str(_download(client, first.id).walk("VEVENT")[0]["UID"]), "UIDs are stable"


def test_skipped_and_moved_occurrences_become_exdate_and_recurrence_id(app, client, auth, db, world, plan, service):
    """Is a skipped occurrence an EXDATE of the master, and a moved one a RECURRENCE-ID override with the
    same UID and its new local time?"""
    first = plan(start=local(2027, 3, 16), frequency="wekelijks", until=date(2027, 4, 6))
    series = _series(db, first.id)
    service(changes.cancel_meeting, world["coordinator"], series[1], "deze")
    moved = series[2]
    data = MeetingData(type_code=moved.type_code, title=moved.title, starts_at=local(2027, 3, 31, 14),
                       ends_at=local(2027, 3, 31, 16), location=moved.location)
    service(changes.update_meeting, world["coordinator"], moved, data, "deze")
    auth.login(world["coordinator"])
    cal = _download(client, first.id)
    master = next(e for e in events(cal) if "RRULE" in e)
    override = next(e for e in events(cal) if "RECURRENCE-ID" in e)
    assert [d.dt.astimezone(AMS) for d in master["EXDATE"].dts] == [local(2027, 3, 23)]
    assert str(override["UID"]) == str(master["UID"])
    assert override.decoded("RECURRENCE-ID") == local(2027, 3, 30)
    assert override.decoded("DTSTART") == local(2027, 3, 31, 14)
    assert override["RECURRENCE-ID"].params["TZID"] == "Europe/Amsterdam"


def test_update_raises_sequence_and_cancellation_sends_method_cancel(app, db, world, plan, invite, service):
    """Does a time change send METHOD:REQUEST with a higher SEQUENCE (same UID), and a cancellation
    METHOD:CANCEL with STATUS:CANCELLED and a higher SEQUENCE again?"""
    meeting = plan(type_code="mda-conferentie", cases=[world["case_a"]], minutes=90)
    pol = world["users"]["POL"]
    invite(meeting, world["coordinator"], pol)
    (first,) = calendars_in(mail_to(app, pol)[-1])
    assert str(first["METHOD"]) == "REQUEST"
    (event,) = events(first)
    assert event["SEQUENCE"] == 0 and event["ORGANIZER"] == f"mailto:{world['coordinator'].email}"
    attendee = next(a for a in attendees(event) if a == f"mailto:{pol.email}")
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    meeting = db.get(Meeting, meeting.id)
    new_start = as_utc(meeting.starts_at) + timedelta(hours=2)
    data = MeetingData(type_code=meeting.type_code, title=meeting.title, starts_at=new_start,
                       ends_at=new_start + timedelta(minutes=90), location=meeting.location)
    service(changes.update_meeting, world["coordinator"], meeting, data)
    update = mail_to(app, pol)[-1]
    assert update["Subject"].startswith("Gewijzigd")
    (cal,) = calendars_in(update)
    (changed,) = events(cal)
    assert str(cal["METHOD"]) == "REQUEST" and changed["SEQUENCE"] == 1 and changed["UID"] == event["UID"]
    assert changed.decoded("DTSTART") == new_start.astimezone(AMS)
    service(changes.cancel_meeting, world["coordinator"], db.get(Meeting, meeting.id), "deze")
    cancel = mail_to(app, pol)[-1]
    (cal,) = calendars_in(cancel)
    (gone,) = events(cal)
    assert str(cal["METHOD"]) == "CANCEL" and str(gone["STATUS"]) == "CANCELLED"
    assert gone["SEQUENCE"] == 2 and gone["UID"] == event["UID"]
    assert cancel.get_content_type() == "multipart/mixed"
    part = next(p for p in cancel.iter_attachments() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == "CANCEL"


def test_skipping_one_occurrence_cancels_only_that_instance(app, db, world, plan, invite, service):
    """Does skipping one occurrence send METHOD:CANCEL for its RECURRENCE-ID only, keeping the series?"""
    first = plan(type_code="mda-conferentie", cases=[world["case_a"]], start=future_monday(), minutes=90,
                 frequency="wekelijks", until=(future_monday() + timedelta(weeks=3)).date())
    invite(first, world["coordinator"], world["users"]["VT"], following=True)
    second = _series(db, first.id)[1]
    service(changes.cancel_meeting, world["coordinator"], second, "deze")
    (cal,) = calendars_in(mail_to(app, world["users"]["VT"])[-1])
    (gone,) = events(cal)
    assert str(cal["METHOD"]) == "CANCEL" and gone.decoded("RECURRENCE-ID") == as_utc(second.starts_at).astimezone(AMS)


def test_reminders_become_valarms(app, client, auth, db, world, plan, invite, service):
    """Do the user's chosen reminders (15 minutes and a day) appear as VALARMs in download and feed?"""
    meeting = plan(type_code="mda-conferentie", cases=[world["case_a"]], minutes=90)
    vt = world["users"]["VT"]
    invite(meeting, world["coordinator"], vt)
    service(feeds.set_reminders, vt, [15, 1440])
    token = service(feeds.renew_token, vt)
    auth.login(vt)
    for cal in (_download(client, meeting.id), Calendar.from_ical(client.get(f"/overleggen/feed/{token}.ics").data)):
        (event,) = events(cal)
        triggers = sorted(a.decoded("TRIGGER") for a in event.walk("VALARM"))
        assert triggers == [timedelta(days=-1), timedelta(minutes=-15)]


def attendees(event) -> list:
    value = event.get("ATTENDEE", [])
    return value if isinstance(value, list) else [value]


def _unfolded(raw: str) -> str:
    text = raw.replace("\r\n ", "").replace("\n ", "")
    return text + "\n" + text.replace("\\,", ",").replace("\\;", ";").replace("\\n", "\n")


def test_no_personal_data_in_any_calendar_file_or_invitation(app, client, auth, db, world, plan, invite, service):
    """Does no name, birth date or address of a person in a case appear in any e-mail (subject, body,
    attachment), download or feed, for the coordinator and for partners, after invites, updates,
    delegation, reminders and cancellation?"""
    from mda.meetings import invitations as inv_service
    from mda.meetings import updates

    first = plan(start=future_monday(), frequency="wekelijks", until=(future_monday() + timedelta(weeks=2)).date(),
                 update_deadline=future_monday() - timedelta(days=1))
    items = case_items(db, first)
    users = world["users"]
    invite(first, world["coordinator"], users["POL"], item_ids=[items[world["case_a"].id]], following=True)
    invite(first, world["coordinator"], users["GGZ"], item_ids=[items[world["case_b"].id]])
    service(lambda s, u: inv_service.answer(s, u, s.get(Meeting, first.id), "gedelegeerd",
                                            delegate_to_id=users["LEAD_POL"].id), users["POL"])
    service(lambda s, u: updates.remind(s, u, s.get(Meeting, first.id), updates_items(s, first)),
            world["coordinator"])
    second = _series(db, first.id)[1]
    data = MeetingData(type_code=second.type_code, title=second.title,
                       starts_at=as_utc(second.starts_at) + timedelta(hours=1),
                       ends_at=as_utc(second.ends_at) + timedelta(hours=1), location=second.location)
    service(changes.update_meeting, world["coordinator"], second, data, "deze")
    service(changes.cancel_meeting, world["coordinator"], _series(db, first.id)[2], "deze")
    texts = []
    for message in outbox(app):
        texts.append(message["Subject"] + "\n" + message.get_body(("plain",)).get_content())
        texts += [_unfolded(cal.to_ical().decode()) for cal in calendars_in(message)]
    for user in (world["coordinator"], users["POL"], users["GGZ"]):
        auth.login(user)
        texts.append(_unfolded(client.get(f"/overleggen/{first.id}/overleg.ics").text))
        token = service(feeds.renew_token, user)
        texts.append(_unfolded(client.get(f"/overleggen/feed/{token}.ics").text))
        auth.logout()
    assert len(outbox(app)) >= 6 and len(texts) >= 12
    everything = "\n".join(texts)
    assert world["case_a"].reference in everything
    for needle in personal_strings(world["persons"]):
        assert needle not in everything, f"personal data leaked into a calendar file or e-mail: {needle!r}"


def updates_items(s, meeting):
    from mda.meetings.access import agenda_items

    return [i for i in agenda_items(s, s.get(Meeting, meeting.id)) if i.kind == "casus"]


def test_calendar_download_is_refused_to_outsiders(app, client, auth, world, plan, make_user):
    """Does someone not invited get 404 for a meeting's calendar file?"""
    meeting = plan()
    auth.login(world["users"]["OM"])
    assert client.get(f"/overleggen/{meeting.id}/overleg.ics").status_code == 404
    assert form_post(app, client, f"/overleggen/{meeting.id}/antwoord", {"response": "geaccepteerd"}).status_code == 404


def test_item_invitee_gets_a_cancellation_of_its_own_item(app, db, world, plan, invite, service):
    """When case A is taken off the agenda, does POL (invited for A only) get METHOD:CANCEL for that item's UID,
    and GGZ (case B) nothing?"""
    from mda.meetings import services
    from mda.meetings.models import AgendaItem

    meeting = plan()
    items = case_items(db, meeting)
    invite(meeting, world["coordinator"], world["users"]["POL"], item_ids=[items[world["case_a"].id]])
    invite(meeting, world["coordinator"], world["users"]["GGZ"], item_ids=[items[world["case_b"].id]])
    (invitation,) = events(calendars_in(mail_to(app, world["users"]["POL"])[-1])[0])
    ggz_before = len(mail_to(app, world["users"]["GGZ"]))
    service(services.remove_case_item, world["coordinator"], db.get(Meeting, meeting.id),
            db.get(AgendaItem, items[world["case_a"].id]))
    (cal,) = calendars_in(mail_to(app, world["users"]["POL"])[-1])
    (gone,) = events(cal)
    assert str(cal["METHOD"]) == "CANCEL" and gone["UID"] == invitation["UID"]
    assert gone["SEQUENCE"] > invitation["SEQUENCE"]
    # GGZ's item moved up into the freed slot: an update (REQUEST, higher SEQUENCE), not a cancellation
    (update,) = calendars_in(mail_to(app, world["users"]["GGZ"])[-1])
    assert len(mail_to(app, world["users"]["GGZ"])) == ggz_before + 1 and str(update["METHOD"]) == "REQUEST"
    assert events(update)[0].decoded("DTSTART").strftime("%H:%M") == "10:15"


def test_cached_events_give_the_same_file_as_writing_it_whole(monkeypatch):
    """Is the file assembled from cached VEVENT texts byte for byte what icalendar writes for the whole calendar,
    does a changed event get new text (never a stale copy), and does the cache stay within its bound?"""
    from icalendar import Timezone

    from mda.meetings import ics

    start = datetime(2027, 3, 22, 9, 0, tzinfo=UTC)
    specs = [ics.EventSpec(uid=f"u{n}@mda", start=start + timedelta(days=n), end=start + timedelta(days=n, hours=1),
                           summary=f"Overleg {n}", description="Agenda:\n- punt " * 20, url="https://mda.test/o/1",
                           sequence=n, organizer=ics.Person("org@mda.test", "Org"),
                           attendees=[ics.Person("a@mda.test", "A", role="CHAIR")]) for n in range(3)]
    stamp = datetime(2027, 1, 1, tzinfo=UTC)
    whole = Calendar()
    for name, value in [("prodid", ics.PRODID), ("version", "2.0"), ("calscale", "GREGORIAN"), ("method", "PUBLISH")]:
        whole.add(name, value)
    whole.add_component(Timezone.from_ical(VTIMEZONE))
    for spec in specs:
        whole.add_component(ics._event(spec, [15], stamp))
    ics._EVENT_CACHE.clear()
    first = ics.render(specs, method="PUBLISH", reminders=[15], now=stamp)
    assert first == whole.to_ical()
    assert ics.render(specs, method="PUBLISH", reminders=[15], now=stamp) == first  # now from the cache
    specs[1].summary = "Overleg verplaatst"
    changed = ics.render(specs, method="PUBLISH", reminders=[15], now=stamp)
    assert b"Overleg verplaatst" in changed and b"SUMMARY:Overleg 1\r\n" not in changed
    monkeypatch.setattr(ics, "EVENT_CACHE_SIZE", 2)
    specs[0].summary = "Overleg afgelast"
    ics.render(specs, method="PUBLISH", reminders=[15], now=stamp)
    assert len(ics._EVENT_CACHE) == 2


def test_every_event_in_a_feed_links_to_its_own_meeting(app, client, db, world, plan, invite, service):
    """Does each event of a feed with several meetings carry the address of its own meeting (built once per
    feed), on the configured base address, in its URL and its description?"""
    vt = world["users"]["VT"]
    meetings = [plan(type_code="mda-conferentie", cases=[world["case_a"]], minutes=90,
                     start=future_monday() + timedelta(days=k)) for k in range(3)]
    for meeting in meetings:
        invite(meeting, world["coordinator"], vt)
    token = service(feeds.renew_token, vt)
    cal = Calendar.from_ical(client.get(f"/overleggen/feed/{token}.ics").data)
    by_uid = {str(e["UID"]): e for e in events(cal)}
    for meeting in meetings:
        event = by_uid[meeting.uid]
        expected = app.config["BASE_URL"] + f"/overleggen/{meeting.id}"
        assert str(event["URL"]) == expected
        assert str(event["DESCRIPTION"]).endswith(expected)
