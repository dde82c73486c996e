"""The daily digest of pre-meeting updates still owed: one e-mail per person per day, whatever the number of
meetings, occurrences and cases; sent once even when the job runs twice; no case content."""

from datetime import timedelta

from mda.core import clock
from mda.core.mail import outbox_messages
from mda.core.timeutil import as_utc
from mda.jobs import run_due
from tests.conftest import form_post
from tests.meetings.conftest import case_items, future_monday


def _run_at(app, moment) -> int:
    with app.app_context(), clock.frozen(moment):
        return run_due(["updateherinneringen"])["updateherinneringen"]


def _mails_to(app, email: str) -> list:
    return [m for _n, m in outbox_messages(app) if m["To"] == email]


def test_one_digest_a_day_for_a_series_with_two_cases(app, client, auth, db, world, plan, invite):
    """POL is invited to a fortnightly series for both cases, plus another meeting the next day: is there one
    e-mail a day listing what is owed, none on a second run, none once all is given, and no case content?"""
    pol = world["users"]["POL"]
    start = future_monday()
    series = plan(start=start, frequency="tweewekelijks", until=(start + timedelta(weeks=6)).date())
    other = plan(start=start + timedelta(days=1), cases=[world["case_a"]], title="Tweede overleg")
    items = case_items(db, series)
    invite(series, world["coordinator"], pol, [items[world["case_a"].id]], following=True)
    invite(other, world["coordinator"], pol, [case_items(db, other)[world["case_a"].id]])
    invite(series, world["coordinator"], world["users"]["GGZ"], [items[world["case_b"].id]], following=True)
    day_before = as_utc(start) - timedelta(days=1)
    before = len(_mails_to(app, pol.email))
    assert _run_at(app, day_before - timedelta(days=5)) == 0  # nothing within two days yet
    assert _run_at(app, day_before) == 2  # POL and GGZ, one each
    mails = _mails_to(app, pol.email)[: len(_mails_to(app, pol.email)) - before]
    assert len(mails) == 1
    body = mails[0].get_content()
    assert body.count(world["case_a"].reference) == 2 and "Tweede overleg" in body  # both meetings, one mail
    assert world["case_b"].reference not in body  # GGZ's case, not POL's
    assert all(p.name not in body for p in world["persons"])
    assert _run_at(app, day_before + timedelta(hours=3)) == 0  # same day: already sent
    auth.login(pol)
    for meeting in (series, other):
        item = case_items(db, meeting)[world["case_a"].id]
        assert form_post(app, client, f"/overleggen/{meeting.id}/punten/{item}/update",
                         {"content": "Voortgang (fictief)."}).status_code in (200, 302)
    count = len(_mails_to(app, pol.email))
    _run_at(app, day_before + timedelta(days=1, hours=-12))  # the next day: POL owes nothing any more
    assert len(_mails_to(app, pol.email)) == count


def test_a_whole_meeting_invitee_is_not_asked_about_a_case_outside_their_circle(app, client, auth, db, world, plan,
                                                                               invite, service):
    """VT, invited for the whole meeting while it held case A only, is in case A's circle, not case B's. When the
    coordinator puts case B on the agenda afterwards, do neither the update digest nor VT's start page ask VT for
    an update on case B (or name it), while they still ask about case A?"""
    from mda.meetings import services
    from mda.meetings.models import Meeting
    from mda.meetings.updates import due_for

    vt = world["users"]["VT"]
    meeting = plan(cases=[world["case_a"]])
    invite(meeting, world["coordinator"], vt)
    service(lambda s, c: services.add_case_item(s, c, s.get(Meeting, meeting.id), world["case_b"].id),
            world["coordinator"])
    day_before = as_utc(meeting.starts_at) - timedelta(days=1)
    assert _run_at(app, day_before) >= 1
    (mail,) = [m for m in _mails_to(app, vt.email) if "update" in m["Subject"]]  # the only digest VT got
    body = mail.get_content()
    assert world["case_a"].reference in body and world["case_b"].reference not in body
    assert mail["Subject"] == "Nog 1 update vooraf te geven"
    with app.test_request_context(), clock.frozen(day_before):
        total, rows = due_for(db, db.get(type(vt), vt.id))
    assert total == 1 and [item.case_id for _m, item in rows] == [world["case_a"].id]
