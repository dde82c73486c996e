"""Meeting pages and the calendar feed run a number of queries that does not grow with what they show."""

from __future__ import annotations

import pytest

from tests.meetings.conftest import future_monday


def _count(count_queries, client, url, status=200):
    with count_queries() as q:
        resp = client.get(url)
    assert resp.status_code == status, resp.text[:300]
    return q




@pytest.mark.parametrize("who", ["coordinator", "VT"])
def test_meeting_page_query_count_does_not_grow_with_cases(app, client, auth, count_queries, world, plan, invite,
                                                           make_case, make_person, who):
    """Does the meeting page run as many queries with 2 cases on the agenda as with none or one?"""
    user = world["coordinator"] if who == "coordinator" else world["users"][who]
    second = make_case(world["coordinator"], members=[world["users"]["VT"], world["users"]["POL"]])
    make_person(second)
    counts = []
    for cases in ([], [world["case_a"]], [world["case_a"], second]):
        meeting = plan(cases=cases, start=future_monday(weeks=2 + len(cases)))
        if who != "coordinator":
            invite(meeting, world["coordinator"], user)
        auth.login(user)
        counts.append(_count(count_queries, client, f"/overleggen/{meeting.id}"))
        auth.logout()
    assert len(counts[1]) == len(counts[2]), counts[2]
    # a fixed extra cost once cases are on the agenda: the page's own (contexts, circle invitations, open
    # plan actions, updates: about 13) plus the live panel's batched loads for the items the user may enter
    # (pieces, engine views, plan actions, updates for the live channel, score rounds, editing presence,
    # circle members: about 13), each one query whatever the number of cases
    assert len(counts[2]) <= len(counts[0]) + 30, counts[2]


def test_meeting_page_with_updates_query_count_does_not_grow(app, client, auth, count_queries, db, world, plan,
                                                             invite, service):
    """With updates written for every case item, does the page's query count stay the same for 1 and 2 cases?"""
    from mda.meetings import updates
    from mda.meetings.models import AgendaItem

    def meeting_with_updates(cases, weeks):
        meeting = plan(cases=cases, start=future_monday(weeks=weeks))
        for case in cases:
            [item] = [i for i in db.exec(__import__("sqlmodel").select(AgendaItem).where(
                AgendaItem.meeting_id == meeting.id, AgendaItem.case_id == case.id))]
            writer = world["users"]["VT"] if case is world["case_a"] else world["users"]["GGZ"]
            invite(meeting, world["coordinator"], writer, item_ids=[item.id])
            service(lambda s, u, m, i: updates.submit(s, u, m, i, "Fictieve update"), writer, meeting, item)
        return meeting

    one = meeting_with_updates([world["case_a"]], 3)
    two = meeting_with_updates([world["case_a"], world["case_b"]], 4)
    auth.login(world["coordinator"])
    few = _count(count_queries, client, f"/overleggen/{one.id}")
    many = _count(count_queries, client, f"/overleggen/{two.id}")
    assert len(many) == len(few), many


def test_my_meetings_query_count_does_not_grow_and_is_paged(client, auth, count_queries, world, plan):
    """Does "mijn overleggen" run as many queries for 6 meetings as for 2, and page them?"""
    auth.login(world["coordinator"])
    for n in range(2):
        plan(start=future_monday(weeks=2 + n))
    few = _count(count_queries, client, "/overleggen/")
    for n in range(4):
        plan(start=future_monday(weeks=5 + n))
    many = _count(count_queries, client, "/overleggen/")
    assert len(many) == len(few), many
    page = client.get("/overleggen/?per_page=4&page=2")
    assert "Pagina 2 van 2" in page.text and "Vorige" in page.text


def test_meetings_api_query_count_does_not_grow(client, auth, count_queries, world, plan):
    """Does the meetings API run as many queries for 5 meetings as for 1?"""
    auth.login(world["coordinator"])
    plan(start=future_monday(weeks=2))
    few = _count(count_queries, client, "/api/v1/meetings")
    for n in range(4):
        plan(start=future_monday(weeks=3 + n))
    many = _count(count_queries, client, "/api/v1/meetings")
    assert len(many) == len(few), many
    assert client.get("/api/v1/meetings?per_page=2").get_json()["pages"] == 3


def _bulk_meetings(db, world, n, offset=0):
    """*n* one-off meetings ahead, each with case A on the agenda and VT invited for the whole meeting."""
    from datetime import timedelta

    from sqlalchemy import insert

    from mda.core.timeutil import utcnow
    from mda.meetings.models import AgendaItem, Invitation, Meeting

    now, start = utcnow(), utcnow() + timedelta(days=1)
    rows = [dict(uid=f"bulk-{offset + k}@mda.test", type_code="casuistiekoverleg", title=f"Overleg {offset + k}",
                 starts_at=start + timedelta(hours=k), ends_at=start + timedelta(hours=k, minutes=30),
                 coordinator_id=world["coordinator"].id, status="gepland", created_at=now, updated_at=now)
            for k in range(n)]
    db.execute(insert(Meeting), rows)
    ids = [m.id for m in db.exec(__import__("sqlmodel").select(Meeting).where(Meeting.uid.like("bulk-%")))
           if int(m.uid.split("-")[1].split("@")[0]) >= offset]
    db.execute(insert(AgendaItem), [dict(uid=f"bulk-item-{mid}@mda.test", meeting_id=mid, position=1, kind="casus",
                                         title="Casus", case_id=world["case_a"].id, minutes=30, starts_at=start,
                                         ends_at=start + timedelta(minutes=30)) for mid in ids])
    db.execute(insert(Invitation), [dict(meeting_id=mid, user_id=world["users"]["VT"].id, whole_meeting=True,
                                          required=True, response="geaccepteerd", created_at=now) for mid in ids])
    db.commit()


def test_personal_feed_with_500_meetings_runs_the_queries_of_5(app, client, count_queries, db, world, service):
    """Does the personal calendar feed run the same number of queries for 500 meetings as for 5?"""
    from icalendar import Calendar

    from mda.meetings import feeds

    token = service(feeds.renew_token, world["users"]["VT"])
    _bulk_meetings(db, world, 5)
    few = _count(count_queries, client, f"/overleggen/feed/{token}.ics")
    _bulk_meetings(db, world, 495, offset=5)
    with count_queries() as many:
        resp = client.get(f"/overleggen/feed/{token}.ics")
    # a full response reads the feed's version first (about 12 plain queries, mda/meetings/feed_version.py), then
    # builds the file; a poll with the current ETag runs only the first part. 26: the cases' access epochs are read
    # with their contexts (mda/core/sharing/context.py), which a feed built again with nothing changed reads no more
    assert len(many) == len(few) and len(few) <= 26, many
    events = Calendar.from_ical(resp.data).walk("VEVENT")
    assert len(events) == 500 and world["case_a"].reference in str(events[0].get("description"))


def test_feed_answers_304_when_the_calendar_program_has_the_current_file(client, db, world, service, plan, invite,
                                                                        monkeypatch):
    """Does the feed carry an ETag and Last-Modified, answer 304 (no body) to the same ETag an hour later, and
    200 after a change?"""
    from datetime import timedelta

    from mda.core.timeutil import utcnow
    from mda.meetings import feeds, ics

    vt = world["users"]["VT"]
    token = service(feeds.renew_token, vt)
    invite(plan(cases=[world["case_a"]]), world["coordinator"], vt)
    url = f"/overleggen/feed/{token}.ics"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag and first.headers["Last-Modified"]
    later = utcnow() + timedelta(hours=1)  # the next poll: an unchanged feed is the same file (no DTSTAMP of "now")
    monkeypatch.setattr(ics, "utcnow", lambda: later)
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    only_date = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert only_date.status_code == 200  # a date alone cannot prove the file is current
    invite(plan(cases=[world["case_a"]], start=future_monday(weeks=5)), world["coordinator"], vt)
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_unknown_feed_token_gets_404_not_304(client):
    """Does an unknown token get a 404 even with an If-None-Match header (no hint that anything exists)?"""
    assert client.get("/overleggen/feed/onbekend.ics", headers={"If-None-Match": '"x"'}).status_code == 404

