"""The personal feed's ETag is read before the file is built: a poll with the current ETag gets its 304 without
the feed being built, and the ETag moves whenever the file would change."""

from __future__ import annotations

import pytest
from sqlmodel import select

from mda.meetings import calendars, feeds
from tests.conftest import audit_rows
from tests.meetings.conftest import case_items


@pytest.fixture
def polled(client, db, world, service, plan, invite, monkeypatch):
    """VT's feed (invited for case A, in VT's circle, of a meeting also on case B), with a counter of builds."""
    vt = world["users"]["VT"]
    token = service(feeds.renew_token, vt)
    meeting = plan(cases=[world["case_a"], world["case_b"]])
    invite(meeting, world["coordinator"], vt, item_ids=[case_items(db, meeting)[world["case_a"].id]])
    builds = []
    build = calendars.feed_with_date

    def counting(*args, **kwargs):
        builds.append(1)
        return build(*args, **kwargs)

    monkeypatch.setattr(calendars, "feed_with_date", counting)
    return dict(url=f"/overleggen/feed/{token}.ics", builds=builds, meeting=meeting, user=vt)


def test_a_poll_with_the_current_etag_is_answered_without_building_the_feed(client, polled):
    """Does a poll with the current ETag get a 304 with the ETag of the full response, while the feed is built
    only for the full response (and again for an old ETag)?"""
    full = client.get(polled["url"])
    assert full.status_code == 200 and polled["builds"] == [1]
    poll = client.get(polled["url"], headers={"If-None-Match": full.headers["ETag"]})
    assert poll.status_code == 304 and poll.data == b""
    assert poll.headers["ETag"] == full.headers["ETag"]
    assert polled["builds"] == [1]
    assert client.get(polled["url"], headers={"If-None-Match": '"een-oude-versie"'}).status_code == 200
    assert polled["builds"] == [1, 1]


def test_a_poll_is_audited_as_a_full_response(client, db, polled):
    """Does a poll answered 304 leave the same audit rows as a full response of the same feed?"""

    def written(headers):
        before = len(audit_rows(db))
        client.get(polled["url"], headers=headers)
        return [(row.action, row.object_type, row.object_id, row.user_id) for row in audit_rows(db)[before:]]

    full = written({})
    etag = client.get(polled["url"]).headers["ETag"]
    assert written({"If-None-Match": etag}) == full


def _decline(db, world, polled):
    from mda.meetings.models import Invitation

    invitation = db.exec(select(Invitation).where(Invitation.meeting_id == polled["meeting"].id,
                                                  Invitation.user_id == polled["user"].id)).one()
    invitation.response = "afgewezen"
    db.add(invitation)


def _rename_coordinator(db, world, polled):
    world["coordinator"].name = "Andere Naam (fictief)"
    db.add(world["coordinator"])


def _leave_case_a(db, world, polled):
    from mda.cases.models import CaseMember

    db.delete(db.exec(select(CaseMember).where(CaseMember.case_id == world["case_a"].id,
                                               CaseMember.user_id == polled["user"].id)).one())


def _new_case_reference(db, world, polled):
    world["case_a"].reference = world["case_a"].reference + "-B"
    db.add(world["case_a"])


def _move_an_agenda_item(db, world, polled):
    from datetime import timedelta

    from mda.meetings.models import AgendaItem

    item = db.get(AgendaItem, case_items(db, polled["meeting"])[world["case_a"].id])
    item.starts_at, item.ends_at = item.starts_at + timedelta(minutes=5), item.ends_at + timedelta(minutes=5)
    db.add(item)


@pytest.mark.parametrize("change", [_decline, _rename_coordinator, _leave_case_a, _new_case_reference,
                                    _move_an_agenda_item, "reminders"])
def test_the_etag_moves_with_the_file(client, db, world, service, polled, change):
    """When the file changes without the meeting's change date moving (an answer, a name, a circle, a case
    reference, an agenda item's times, the reminders), does a poll with the old ETag get the new file?"""
    first = client.get(polled["url"])
    if change == "reminders":
        service(feeds.set_reminders, polled["user"], [60])
    else:
        change(db, world, polled)
        db.commit()
    poll = client.get(polled["url"], headers={"If-None-Match": first.headers["ETag"]})
    assert poll.status_code == 200 and poll.data != first.data
    assert poll.headers["ETag"] != first.headers["ETag"]
    assert client.get(polled["url"], headers={"If-None-Match": poll.headers["ETag"]}).status_code == 304
