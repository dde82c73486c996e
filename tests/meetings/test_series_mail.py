"""One invitation per series: a partner invited for two cases of a fortnightly series gets ONE e-mail (over a
real SMTP server) whose recurring event expands to exactly the occurrences they were invited to."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dateutil.rrule import rruleset, rrulestr
from sqlmodel import select

from mda.cases.models import CaseMember, CaseOrganisation
from mda.core.timeutil import as_utc, utcnow
from mda.meetings.models import AgendaItem, Meeting
from tests.conftest import form_post
from tests.meetings.conftest import AMS, future_monday, local
from tests.meetings.test_smtp import _calendar, smtp_server  # noqa: F401 (the fixture)


def _expand(event) -> set:
    """The occurrences of a master VEVENT as python-dateutil reads its RRULE and EXDATEs (aware, UTC)."""
    start = event.decoded("DTSTART")
    rules = rruleset()
    rules.rrule(rrulestr(event["RRULE"].to_ical().decode(), dtstart=start))
    exdates = event.get("EXDATE", [])
    for ex in exdates if isinstance(exdates, list) else [exdates]:
        for d in ex.dts:
            rules.exdate(d.dt)
    return {as_utc(d) for d in rules}


ROOT = Path(__file__).resolve().parents[2]
ICALJS = Path(__file__).with_name("icaljs_occurrences.cjs")


def _icaljs(calendar_bytes: bytes) -> set:
    """The occurrences (aware, UTC) of the recurring events of a calendar as Mozilla's ical.js reads them."""
    if not shutil.which("node") or not (ROOT / "node_modules" / "ical.js").exists():
        pytest.skip("node or node_modules/ical.js missing (make test installs them)")
    done = subprocess.run(["node", str(ICALJS)], input=calendar_bytes, capture_output=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return {datetime.strptime(line.split()[1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            for line in done.stdout.decode().splitlines() if line.strip()}


def test_series_invitation_for_two_cases_is_one_email(app, client, auth, db, world, plan, smtp_server):  # noqa: F811
    """Does inviting VT for both cases of a fortnightly series of five deliver one e-mail with one calendar
    object (one UID), whose RRULE and EXDATE (read by python-dateutil) give exactly the five occurrences,
    each overridden at the times of VT's own two case items?"""
    vt = world["users"]["VT"]
    db.add(CaseOrganisation(case_id=world["case_b"].id, organisation_id=vt.organisation_id, added_at=utcnow()))
    db.add(CaseMember(case_id=world["case_b"].id, user_id=vt.id, added_at=utcnow()))
    db.commit()
    start = future_monday()
    first = plan(start=start, frequency="tweewekelijks", until=(start + timedelta(weeks=8)).date())
    items = {i.case_id: i.id for i in db.exec(select(AgendaItem).where(AgendaItem.meeting_id == first.id,
                                                                     AgendaItem.kind == "casus"))}
    auth.login(world["coordinator"])
    smtp_server.messages.clear()
    resp = form_post(app, client, f"/overleggen/{first.id}/uitnodigen", {
        "user_id": vt.id, "item_ids": [items[world["case_a"].id], items[world["case_b"].id]], "required": "y",
        "following": "y"})
    assert resp.status_code == 302
    assert [rcpt for rcpt, _ in smtp_server.messages] == [[vt.email]]
    ((_, message),) = smtp_server.messages
    cal = _calendar(message)
    vevents = cal.walk("VEVENT")
    assert str(cal["METHOD"]) == "REQUEST" and len({str(e["UID"]) for e in vevents}) == 1
    (master,) = [e for e in vevents if "RECURRENCE-ID" not in e]
    overrides = {as_utc(e.decoded("RECURRENCE-ID")): e for e in vevents if "RECURRENCE-ID" in e}
    db.expire_all()
    series = list(db.exec(select(Meeting).where(Meeting.series_id == first.series_id)))
    assert len(series) == 5
    expected = {as_utc(m.original_start) for m in series}
    assert _expand(master) == expected == set(overrides)
    assert _icaljs(cal.to_ical()) == expected, "Mozilla's ical.js reads the same occurrences"
    for meeting in series:  # each occurrence at the times of VT's items: 10:15 to 11:15 local
        event = overrides[as_utc(meeting.original_start)]
        assert event.decoded("DTSTART").astimezone(AMS).strftime("%H:%M") == "10:15"
        assert event.decoded("DTEND").astimezone(AMS).strftime("%H:%M") == "11:15"
        assert world["case_a"].reference in str(event["SUMMARY"]) and world["case_b"].reference in str(event["SUMMARY"])


def test_cancelling_one_occurrence_cancels_that_override(app, client, auth, db, world, plan, invite,
                                                        smtp_server):  # noqa: F811
    """Does cancelling one occurrence send the item-invitee a CANCEL for that occurrence (same UID as the
    series invitation, RECURRENCE-ID of that occurrence), and the feed then leave that occurrence out?"""
    pol = world["users"]["POL"]
    start = future_monday()
    first = plan(start=start, frequency="tweewekelijks", until=(start + timedelta(weeks=4)).date())
    item = db.exec(select(AgendaItem).where(AgendaItem.meeting_id == first.id,
                                            AgendaItem.case_id == world["case_a"].id)).one()
    smtp_server.messages.clear()
    invite(first, world["coordinator"], pol, item_ids=[item.id], following=True)
    ((_, invitation),) = smtp_server.messages
    uid = str(_calendar(invitation).walk("VEVENT")[0]["UID"])
    second = db.exec(select(Meeting).where(Meeting.series_id == first.series_id)
                     .order_by(Meeting.original_start)).all()[1]
    auth.login(world["coordinator"])
    resp = form_post(app, client, f"/overleggen/{second.id}/annuleren", {"scope": "deze", "reason": "Zaal bezet"})
    assert resp.status_code == 302
    (cancel,) = [m for rcpt, m in smtp_server.messages[1:] if rcpt == [pol.email]]
    cal = _calendar(cancel)
    (event,) = cal.walk("VEVENT")
    assert str(cal["METHOD"]) == "CANCEL" and str(event["UID"]) == uid
    assert as_utc(event.decoded("RECURRENCE-ID")) == as_utc(second.original_start)


def test_a_series_across_the_clock_change_reads_the_same_in_python_and_in_ical_js(
        app, client, auth, db, world, plan, smtp_server):  # noqa: F811
    """A weekly series at 10:00 across the change to summer time (28 March 2027), one occurrence cancelled:
    do python-dateutil and Mozilla's ical.js read the invitation's RRULE and EXDATE as the same occurrences,
    all at 10:00 Amsterdam time, the cancelled one left out?"""
    from mda.meetings import changes

    start = local(2027, 3, 15, 10)
    first = plan(start=start, frequency="wekelijks", until=start.date() + timedelta(weeks=4))
    db.expire_all()
    series = sorted(db.exec(select(Meeting).where(Meeting.series_id == first.series_id)),
                    key=lambda m: as_utc(m.original_start))
    with app.test_request_context():
        from mda import db as unit

        s = unit.session()
        changes.cancel_meeting(s, s.get(type(world["coordinator"]), world["coordinator"].id),
                               s.get(Meeting, series[2].id), "deze")
        unit.commit()
    item = db.exec(select(AgendaItem).where(AgendaItem.meeting_id == first.id,
                                            AgendaItem.case_id == world["case_a"].id)).one()
    auth.login(world["coordinator"])
    smtp_server.messages.clear()
    resp = form_post(app, client, f"/overleggen/{first.id}/uitnodigen", {
        "user_id": world["users"]["POL"].id, "item_ids": [item.id], "required": "y", "following": "y"})
    assert resp.status_code == 302
    ((_, message),) = smtp_server.messages
    cal = _calendar(message)
    (master,) = [e for e in cal.walk("VEVENT") if "RECURRENCE-ID" not in e]
    expected = {as_utc(m.original_start) for m in series if m.id != series[2].id}
    assert len(expected) == 4
    assert _expand(master) == _icaljs(cal.to_ical()) == expected
    assert {d.astimezone(AMS).strftime("%H:%M") for d in expected} == {"10:00"}

