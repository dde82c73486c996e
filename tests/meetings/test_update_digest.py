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
