"""Statements per page, for each role: each loader runs once per request, and no page grows past its budget."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.meetings.conftest import future_monday

ROLES = ("coordinator", "VT", "GGZ", "LEAD_POL")


@pytest.fixture
def pages(app, db, world, plan, invite, service):
    """A meeting with cases A and B (VT invited for case A, GGZ for case B), and each role's way in: a
    logged-in client for the pages, a bearer token for the API; each role's plan page is of a case it may open."""
    from sqlmodel import select

    from mda.auth import services as auth_services
    from mda.meetings.models import AgendaItem

    meeting = plan(start=future_monday(weeks=2))
    items = {i.case_id: i.id for i in db.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id,
                                                                        AgendaItem.kind == "casus"))}
    invite(meeting, world["coordinator"], world["users"]["VT"], item_ids=[items[world["case_a"].id]])
    invite(meeting, world["coordinator"], world["users"]["GGZ"], item_ids=[items[world["case_b"].id]])
    users = {"coordinator": world["coordinator"], **world["users"]}
    tokens = {who: service(auth_services.create_api_token, users[who], "bench") for who in ROLES}
    cases = {who: world["case_b"] if who == "GGZ" else world["case_a"] for who in ROLES}
    return dict(meeting=meeting, users=users, tokens=tokens, cases=cases)


@contextmanager
def recording(app):
    """Every statement (with its parameters) run on the app's engine while recording."""
    from mda.organisations import names

    names.forget()
    engine = app.extensions["mda_engine"]
    seen: list[tuple[str, str]] = []

    def before(_conn, _cursor, statement, params, _context, _many):
        if not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
            seen.append((" ".join(statement.split()), repr(params)))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _get(app, client, auth, pages, who, url, bearer=False):
    headers = {"Authorization": f"Bearer {pages['tokens'][who]}"} if bearer else {}
    if bearer:
        client = app.test_client()  # a script's call: no browser session
    else:
        auth.login(pages["users"][who])
    with recording(app) as seen:
        resp = client.get(url, headers=headers)
    if not bearer:
        auth.logout()
    return resp, seen


URLS = {
    "meeting page": ("/overleggen/{meeting}", False),
    "case page": ("/casussen/{case}", False),
    "plan page": ("/casussen/{case}/plan", False),
    "start page": ("/", False),
    "case list API": ("/api/v1/cases", True),
    "meeting list API": ("/api/v1/meetings", True),
}


#: statements per page and role, measured (tests/perf/test_page_statements.py); before this work the meeting page
#: ran 46 (coordinator) and 37 (invited professional): the live panel and the open plan actions, loaded from the
#: templates, read the invitation, the agenda, the cases and the updates again
BUDGET = {
    # +1: the documents brought with the updates (one statement for the updates and the live panel); -6 for the
    # coordinator, -2 for the invitees (was 31 and 27): the planner's candidates as plain rows also serve the circle
    # plans, with the invitations read once and the organisation names from the case contexts; the live panel
    # reads the circles' people once (its members from the case contexts) for both of its owner lists; -1 each: the
    # live sockets are read once for who is connected and who is typing; -1 for the coordinator: the invitation
    # table's open invitations are read by the loader, the coordinator's own taken from them; -1 for the coordinator:
    # the open invitations come with the items they cover (one statement), their people as plain rows
    # -4 each before the start with nothing written live (the panel shows its status, not the items: the budget of
    # a started meeting is MEETING_PAGE_LIVE); -1 for the coordinator: the open invitations, their items and their
    # people in one statement
    "meeting page": {"coordinator": 17, "VT": 20, "GGZ": 20, "LEAD_POL": 7},  # the team lead is not invited: 404
    # the meetings panel and escalation marks are gathered by the view (mda.core.signals.case_page), not the template
    "case page": {"coordinator": 17, "VT": 15, "GGZ": 15, "LEAD_POL": 15},
    "plan page": {"coordinator": 14, "VT": 14, "GGZ": 14, "LEAD_POL": 14},
    # the start page's panels (one count each, whatever the data): "Mijn acties", "Acties van mijn organisatie",
    # the coordinator's overdue and unowned actions, and for team leads "Wacht op uw goedkeuring"
    "start page": {"coordinator": 14, "VT": 13, "GGZ": 13, "LEAD_POL": 13},
    # the first call of a token: its look-up (token and user in one statement, was 2) and the time of use written;
    # the case list's page as plain rows with the coordinators' names (one statement, was 2 with model objects)
    "case list API": {"coordinator": 5, "VT": 5, "GGZ": 5, "LEAD_POL": 5},
    # the list as plain rows with the caller's own answer joined in (one statement; was 2 with model objects)
    "meeting list API": {"coordinator": 4, "VT": 4, "GGZ": 4, "LEAD_POL": 4},
}
#: no page seals the audit chain itself: on PostgreSQL the sealer chains the rows after the commit, in batches
#: (mda/core/audit/sealer.py; the budget held 6 statements more for that before), SQLite inside the one commit


def _url(pages, page, who):
    url, bearer = URLS[page]
    return url.format(meeting=pages["meeting"].id, case=pages["cases"][who].id), bearer


@pytest.mark.parametrize("page", list(URLS))
@pytest.mark.parametrize("who", ROLES)
def test_no_page_reads_the_same_thing_twice(app, client, auth, pages, page, who):
    """Does each page, for each role, run every read once (no statement twice with the same parameters)?"""
    url, bearer = _url(pages, page, who)
    resp, seen = _get(app, client, auth, pages, who, url, bearer)
    assert resp.status_code == (404 if (page, who) == ("meeting page", "LEAD_POL") else 200), resp.text[:300]
    twice = [sql[:200] for (sql, _params), n in Counter(seen).items() if n > 1 and not sql.startswith("INSERT")]
    assert twice == [], twice


@pytest.mark.parametrize("page", list(URLS))
@pytest.mark.parametrize("who", ROLES)
def test_page_stays_within_its_statement_budget(app, client, auth, pages, page, who):
    """Does each page, for each role, run no more statements than measured after the speed work?"""
    url, bearer = _url(pages, page, who)
    resp, seen = _get(app, client, auth, pages, who, url, bearer)
    assert resp.status_code == (404 if (page, who) == ("meeting page", "LEAD_POL") else 200), resp.text[:300]
    assert len(seen) <= BUDGET[page][who], "\n".join(sql[:160] for sql, _params in seen)


#: the meeting page while the meeting runs (the live panel with every item the user may enter)
MEETING_PAGE_LIVE = {"coordinator": 21, "VT": 24, "GGZ": 24}


@pytest.mark.parametrize("who", list(MEETING_PAGE_LIVE))
def test_a_running_meeting_s_page_stays_within_its_statement_budget(app, client, auth, pages, db, who):
    """Once the meeting has started, does its page (with the live panel's items) stay within its budget, and does
    it show the items (the check can fail: the panel before the start reads less)?"""
    from mda.live.models import LiveMeeting

    db.add(LiveMeeting(meeting_id=pages["meeting"].id, status="bezig"))
    db.commit()
    resp, seen = _get(app, client, auth, pages, who, f"/overleggen/{pages['meeting'].id}")
    assert resp.status_code == 200 and "verschijnen hier zodra" not in resp.text and "/live/punten/" in resp.text
    assert len(seen) <= MEETING_PAGE_LIVE[who], "\n".join(sql[:160] for sql, _params in seen)


def test_meeting_page_reads_the_invitation_agenda_and_updates_once(app, client, auth, pages):
    """Does the invited professional's meeting page (with its live panel) read their invitation, the agenda, the
    case and the updates once each, however many parts of the page show them?"""
    resp, seen = _get(app, client, auth, pages, "VT", f"/overleggen/{pages['meeting'].id}")
    assert resp.status_code == 200 and "Live overleg" in resp.text
    statements = [sql for sql, _params in seen]

    def reads(*fragments):  # whatever the database's parameter style
        return sum(1 for sql in statements if sql.startswith("SELECT") and all(f in sql for f in fragments))

    assert reads("FROM invitation WHERE invitation.meeting_id =", "AND invitation.user_id =") == 1, statements
    assert reads("FROM agenda_item WHERE agenda_item.meeting_id =") == 1, statements
    assert reads("FROM meeting_update") == 1, statements


def test_bearer_token_and_its_user_are_read_in_one_statement(app, client, auth, pages, clock_start):
    """Does a bearer call read its token and user in one statement, write the time of use on the first call,
    skip that write within the minute, and write it again a minute later?"""
    from datetime import timedelta

    from mda.core import clock

    def token_statements():
        _resp, seen = _get(app, client, auth, pages, "VT", "/api/v1/meetings", bearer=True)
        return [sql.split(" ")[0] for sql, _params in seen if "api_token" in sql]

    clock.set_now(clock_start)
    assert token_statements() == ["SELECT", "UPDATE"]
    clock.set_now(clock_start + timedelta(seconds=59))
    assert token_statements() == ["SELECT"]
    clock.set_now(clock_start + timedelta(seconds=61))
    assert token_statements() == ["SELECT", "UPDATE"]


def test_revoked_or_wrong_token_or_inactive_user_is_refused(app, client, db, pages, service):
    """Is a bearer call refused (401) with a wrong secret, a revoked token, or a deactivated user?"""
    from mda.auth.models import ApiToken, User
    from mda.core.timeutil import utcnow

    def status(token):
        return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code

    good = pages["tokens"]["VT"]
    assert status(good) == 200
    assert status(good[:-2] + ("aa" if not good.endswith("aa") else "bb")) == 401
    prefix = good.split("_", 2)[1]

    def revoke(s, _user):
        token = s.exec(__import__("sqlmodel").select(ApiToken).where(ApiToken.prefix == prefix)).one()
        token.revoked_at = utcnow()

    service(revoke, pages["users"]["VT"])
    assert status(good) == 401
    other = pages["tokens"]["GGZ"]
    assert status(other) == 200

    def deactivate(s, user):
        s.get(User, user.id).active = False

    service(deactivate, pages["users"]["GGZ"])
    assert status(other) == 401


def test_case_list_api_builds_the_visibility_statement_once_per_process(app, client, auth, pages, world):
    """Does the case list API build the visibility statement once (not per request or user), and still list
    each caller's own cases only?"""
    from mda.core import sharing

    def listed(who):
        resp, _seen = _get(app, client, auth, pages, who, "/api/v1/cases", bearer=True)
        assert resp.status_code == 200
        return {c["id"] for c in resp.get_json()["cases"]}

    assert listed("VT") == {world["case_a"].id}
    built = sharing._visible_case_ids_statement.cache_info().misses
    assert listed("GGZ") == {world["case_b"].id}
    assert listed("VT") == {world["case_a"].id}
    assert sharing._visible_case_ids_statement.cache_info().misses == built


def test_case_and_plan_page_templates_load_no_data(app, client, auth, pages, db):
    """Do the case page and the plan page render their meetings panel, escalation count and escalation markers
    from what the view gathered, with no data-loading template global to call?"""
    from sqlmodel import select

    from mda.escalations.models import Escalation

    case = pages["cases"]["coordinator"]
    assert db.exec(select(Escalation).where(Escalation.case_id == case.id)).first() is None
    assert "escalation_marks" not in app.jinja_env.globals and "case_meetings" not in app.jinja_env.globals
    auth.login(pages["users"]["coordinator"])
    resp = client.get(f"/casussen/{case.id}")
    assert resp.status_code == 200
    assert "Overleggen" in resp.text and f"/overleggen/{pages['meeting'].id}" in resp.text
    assert client.get(f"/casussen/{case.id}/plan").status_code == 200


def _context_reads(seen) -> list[str]:
    """The statements that load case contexts (the facts union and the consents; mda.core.sharing.context)."""
    return [sql for sql, _params in seen if "'r' AS kind" in sql or "LEFT OUTER JOIN consent_recipient" in sql]


@pytest.mark.parametrize("page", ["case page", "plan page", "meeting page"])
def test_the_next_request_builds_the_contexts_from_the_kept_facts(app, client, auth, pages, page):
    """Once a page has loaded its cases' contexts, does the next request (nothing changed in between) build them
    from the facts kept under the cases' epochs, without the three statements that read them?"""
    from mda.core.sharing import context

    url, _bearer = _url(pages, page, "VT")
    auth.login(pages["users"]["VT"])
    context.forget_kept()
    with recording(app) as cold:
        assert client.get(url).status_code == 200
    with recording(app) as warm:
        assert client.get(url).status_code == 200
    auth.logout()
    assert len(_context_reads(cold)) == 2, cold  # read the first time: the check can fail
    assert _context_reads(warm) == [] and len(warm) <= len(cold) - 3, warm
