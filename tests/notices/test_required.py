"""Notices the law or the covenant wants at once stay immediate whatever the user chose; the rest wait for the
digest, which is one e-mail however many notices it holds (docs/notifications.md)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from mda.core.mail import outbox_messages
from mda.notices.models import DIGEST
from tests.conftest import working_day
from tests.escalations.conftest import commit
from tests.meetings.conftest import AMS, calendars_in, future_monday, mail_to
from tests.notices.conftest import at, held, run_job


def _count_to(app, user) -> int:
    return sum(user.email in m["To"] for _n, m in outbox_messages(app, limit=500))


def test_an_escalation_reaches_its_decider_at_once_but_a_party_s_notice_waits(app, db, in_app, ladder_people,
                                                                              condition, raise_on, ctx_of, choose):
    """With escalations set to the digest, does the level-1 decider still get the new escalation at once (a
    deadline runs for them), while the other party's notice waits, as does the decider's notice of a position?"""
    from mda.escalations import services

    s = ladder_people
    decider, party = s.users["vt_lead"], s.users["vt"]
    choose(decider, escalaties=DIGEST)
    choose(party, escalaties=DIGEST)
    esc = raise_on(condition)
    assert _count_to(app, decider) == 1 and held(db, decider) == 0
    assert _count_to(app, party) == 0 and held(db, party) == 1
    services.add_position(db, party, ctx_of(s.case), db.get(type(esc), esc.id), text="GEHEIM-STANDPUNT-VT Geen contact")
    commit()
    assert _count_to(app, decider) == 1 and held(db, decider) == 1


def test_the_decision_reaches_both_parties_at_once(app, db, in_app, ladder_people, condition, raise_on, ctx_of,
                                                  choose):
    """Does the decision reach the parties at once even when they chose the digest (it changes their plan)?"""
    from mda.escalations import services

    s = ladder_people
    for key in ("lt", "vt"):
        choose(s.users[key], escalaties=DIGEST)
    esc = raise_on(condition)
    services.add_position(db, s.users["vt"], ctx_of(s.case), db.get(type(esc), esc.id), text="Geen contact")
    commit()
    before = {k: _count_to(app, s.users[k]) for k in ("lt", "vt")}
    services.decide(db, s.users["vt_lead"], ctx_of(s.case), db.get(type(esc), esc.id), decision="Begeleid contact",
                    reasons="Beide standpunten gewogen", consequence="geen", consequence_text="")
    commit()
    assert {k: _count_to(app, s.users[k]) - before[k] for k in ("lt", "vt")} == {"lt": 1, "vt": 1}


def _soon() -> datetime:
    """A meeting start one working day from the test's today (within two working days)."""
    return datetime.combine(working_day(1), time(10), AMS)


def test_an_invitation_within_two_working_days_goes_at_once(app, db, world, plan, invite, choose):
    """With invitations set to the digest, is an invitation to a meeting two weeks away held, while one to a
    meeting that starts within two working days is mailed at once, calendar file attached?"""
    coordinator, pol = world["coordinator"], world["users"]["POL"]
    choose(pol, uitnodigingen=DIGEST)
    later = plan(cases=[world["case_a"]], start=future_monday(2))
    invite(later, coordinator, pol)
    assert mail_to(app, pol) == [] and held(db, pol) == 1
    soon = plan(cases=[world["case_a"]], start=_soon(), title="Spoedoverleg")
    invite(soon, coordinator, pol)
    (message,) = mail_to(app, pol)
    assert "Spoedoverleg" in message["Subject"] and calendars_in(message)
    assert held(db, pol) == 1


def test_the_digest_is_one_mail_with_every_held_invitation_s_calendar_file(app, db, world, plan, invite, choose):
    """Are two held invitations sent as one digest e-mail carrying both calendar files (each its own iTIP object),
    and nothing more the next time the job runs that day?"""
    coordinator, pol = world["coordinator"], world["users"]["POL"]
    choose(pol, uitnodigingen=DIGEST)
    for weeks, title in ((2, "Eerste overleg"), (3, "Tweede overleg")):
        invite(plan(cases=[world["case_a"]], start=future_monday(weeks), title=title), coordinator, pol)
    assert held(db, pol) == 2 and mail_to(app, pol) == []
    day = working_day(1)
    assert run_job(app, "dagelijks_overzicht", at(day, 7)) == 1
    assert run_job(app, "dagelijks_overzicht", at(day, 12)) == 0
    (digest,) = mail_to(app, pol)
    assert digest["Subject"] == "Dagelijks overzicht MDA++ (2 meldingen)"
    body = digest.get_body(preferencelist=("plain",)).get_content()
    assert "Eerste overleg" in body and "Tweede overleg" in body and body.count("Uitnodigingen\n") == 1
    summaries = sorted(str(e.get("summary")) for cal in calendars_in(digest) for e in cal.walk("VEVENT"))
    assert len(calendars_in(digest)) == 2 and any("Eerste" in x for x in summaries)
    assert held(db, pol) == 0


def test_the_digest_waits_for_a_working_day(app, db, world, plan, invite, choose):
    """Is nothing sent on a Saturday, and the held notice sent the next working day?"""
    coordinator, pol = world["coordinator"], world["users"]["POL"]
    choose(pol, uitnodigingen=DIGEST)
    invite(plan(cases=[world["case_a"]], start=future_monday(2)), coordinator, pol)
    saturday = working_day(1)
    while saturday.weekday() != 5:
        saturday += timedelta(days=1)
    assert run_job(app, "dagelijks_overzicht", at(saturday, 9)) == 0 and held(db, pol) == 1
    assert run_job(app, "dagelijks_overzicht", at(working_day(0, after=saturday), 9)) == 1
