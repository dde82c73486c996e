"""Route x role x circle: who may open each meeting page, API call and calendar file, and what a partner sees
of a casuïstiekoverleg (only the case items of its own circle)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar

from mda.meetings import feeds
from mda.meetings.access import HIDDEN_CASE
from tests.conftest import audit_rows, csrf_token, text_of
from tests.meetings.conftest import case_items, events, future_monday

OK = {200, 201, 302, 422}  # passed the access checks (422/302: refused on content, with a Dutch message)

# Who is who in the scene below.
ACTORS = ["chair", "partner_a", "partner_b", "outsider", "other_coordinator", "admin", "privacy_officer", "planner"]
# What each kind of route allows: actor -> expected status class
EVERYONE_WORKING = {a: "ok" for a in ACTORS} | {"admin": 403, "privacy_officer": 403}
PLANNERS = {a: 403 for a in ACTORS} | {"planner": "ok", "other_coordinator": "ok"}
INVITED = {a: "ok" for a in ("planner", "chair", "partner_a", "partner_b")} | {
    a: 404 for a in ("outsider", "other_coordinator", "admin", "privacy_officer")}
THE_PLANNER = INVITED | {"chair": 403, "partner_a": 403, "partner_b": 403}
RUNNERS = THE_PLANNER | {"chair": "ok"}
CIRCLE_A = INVITED | {"partner_b": 404}  # chair (VT) and partner_a (POL) are in case A's circle

#: (method, url template, body, expectation)
ROUTES = [
    ("GET", "/overleggen/", None, EVERYONE_WORKING),
    ("GET", "/overleggen/week", None, EVERYONE_WORKING),
    ("GET", "/overleggen/agenda-abonnement", None, EVERYONE_WORKING),
    ("POST", "/overleggen/agenda-abonnement", {"reminders": ["15"]}, EVERYONE_WORKING),
    ("POST", "/overleggen/agenda-abonnement/vernieuwen", {}, EVERYONE_WORKING),
    ("POST", "/overleggen/agenda-abonnement/intrekken", {}, EVERYONE_WORKING),
    ("GET", "/overleggen/nieuw?type=casuistiekoverleg", None, PLANNERS),
    ("POST", "/overleggen/nieuw?type=evaluatie", {"title": ""}, PLANNERS),
    ("GET", "/overleggen/{m}", None, INVITED),
    ("GET", "/overleggen/{m}/overleg.ics", None, INVITED),
    ("POST", "/overleggen/{m}/antwoord", {"response": "geaccepteerd"}, INVITED),
    ("GET", "/overleggen/{m}/bewerken", None, THE_PLANNER),
    ("POST", "/overleggen/{m}/bewerken", {"title": ""}, THE_PLANNER),
    ("POST", "/overleggen/{m}/uitnodigen", {"user_id": "{vt2}"}, THE_PLANNER),
    ("POST", "/overleggen/{m}/casussen", {"case_id": "{a}"}, THE_PLANNER),
    ("POST", "/overleggen/{m}/herinneren", {}, THE_PLANNER),
    ("POST", "/overleggen/{m}/aanwezigheid", {}, RUNNERS),
    ("POST", "/overleggen/{m}/punten/{ia}/update", {"content": "Gesprek gevoerd."}, CIRCLE_A),
    ("POST", "/overleggen/{m}/casussen/{ib}/verwijderen", {}, THE_PLANNER),
    ("POST", "/overleggen/{m}/annuleren", {"scope": "deze"}, THE_PLANNER),
    ("GET", "/overleggen/{m}/annuleren", None, THE_PLANNER),
    ("GET", "/overleggen/{m}/casussen/{ib}/verwijderen", None, THE_PLANNER),
    ("GET", "/overleggen/{m}/uitnodigingen/{inv}/intrekken", None, THE_PLANNER),
    ("POST", "/overleggen/{m}/casussen/{ia}/kring-uitnodigen", {}, THE_PLANNER),
    ("POST", "/overleggen/{m}/uitnodigingen/{inv}/intrekken", {}, THE_PLANNER),
    ("GET", "/api/v1/meetings", None, INVITED | {a: "ok" for a in ("outsider", "other_coordinator", "admin",
                                                                   "privacy_officer")}),
    ("POST", "/api/v1/meetings", {"type": "evaluatie", "title": "", "start": "2027-01-05T10:00",
                                  "end": "2027-01-05T11:00"}, PLANNERS),
    ("GET", "/api/v1/meetings/free-slots?user_ids={vt2}&minutes=60", None, PLANNERS),
    ("GET", "/api/v1/meetings/{m}", None, INVITED),
    ("GET", "/api/v1/meetings/{m}/items", None, INVITED),
    ("GET", "/api/v1/meetings/{m}/invitations", None, INVITED),
    ("POST", "/api/v1/meetings/{m}/answer", {"response": "onder_voorbehoud"}, INVITED),
    ("PATCH", "/api/v1/meetings/{m}", {"title": "Nieuwe titel"}, THE_PLANNER),
    ("POST", "/api/v1/meetings/{m}/items", {"case_id": "{a}"}, THE_PLANNER),
    ("POST", "/api/v1/meetings/{m}/invitations", {"user_id": "{vt2}"}, THE_PLANNER),
    ("PUT", "/api/v1/meetings/{m}/attendance", {"entries": []}, RUNNERS),
    ("GET", "/api/v1/meetings/{m}/items/{ia}/updates", None, CIRCLE_A),
    ("POST", "/api/v1/meetings/{m}/items/{ia}/updates", {"content": "Huisbezoek gedaan."}, CIRCLE_A),
    ("DELETE", "/api/v1/meetings/{m}/items/{ib}", None, THE_PLANNER),
    ("DELETE", "/api/v1/meetings/{m}", None, THE_PLANNER),
]
ROUTE_IDS = [f"{m} {u}" for m, u, _, _ in ROUTES]


def test_every_meeting_route_is_in_the_matrix(app):
    """Is every route of the meetings blueprint and the meetings API (but the token feed) checked below?"""
    import re

    def shape(url: str) -> str:
        return re.sub(r"\{[a-z]+\}|<[^>]+>", "*", url.split("?")[0])

    covered = {(m, shape(u)) for m, u, _, _ in ROUTES} | {("POST", "/overleggen/agenda-abonnement/*")}
    for rule in app.url_map.iter_rules():
        if not (rule.endpoint.startswith("meetings.") or "/meetings" in rule.rule) or rule.endpoint == "meetings.feed":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, shape(rule.rule)) in covered, f"{method} {rule.rule} is not in the matrix"


@pytest.fixture
def scene(world, make_user, db, plan, invite):
    """A casuïstiekoverleg with case A (POL invited for it) and case B (GGZ invited for it), VT chairing."""
    users = world["users"]
    meeting = plan(chair_id=users["VT"].id, update_deadline=future_monday() - timedelta(days=1))
    items = case_items(db, meeting)
    ia, ib = items[world["case_a"].id], items[world["case_b"].id]
    invite(meeting, world["coordinator"], users["POL"], item_ids=[ia])
    invite(meeting, world["coordinator"], users["GGZ"], item_ids=[ib])
    actors = {"planner": world["coordinator"], "chair": users["VT"], "partner_a": users["POL"],
              "partner_b": users["GGZ"], "outsider": users["OM"], "other_coordinator": world["other_coordinator"],
              "admin": make_user(roles=("admin",)), "privacy_officer": make_user(roles=("privacy_officer",))}
    from sqlmodel import select

    from mda.meetings.models import Invitation

    inv = db.exec(select(Invitation.id).where(Invitation.meeting_id == meeting.id,
                                              Invitation.user_id == users["POL"].id)).one()
    ids = {"m": meeting.id, "ia": ia, "ib": ib, "a": world["case_a"].id, "vt2": users["VT2"].id, "inv": inv}
    return dict(meeting=meeting, actors=actors, ids=ids, world=world)


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _call(app, client, method, url, body):
    if method == "GET" or (method == "DELETE" and body is None):
        return client.open(url, method=method, headers={"X-CSRFToken": csrf_token(app, client)})
    if url.startswith("/api/"):
        body = {k: (int(v) if isinstance(v, str) and v.isdigit() else v) for k, v in body.items()}
        return client.open(url, method=method, json=body, headers={"X-CSRFToken": csrf_token(app, client)})
    return client.post(url, data={**body, "csrf_token": csrf_token(app, client)})


@pytest.mark.parametrize("method, template, body, expected", ROUTES, ids=ROUTE_IDS)
def test_route_role_circle_matrix(app, client, auth, db, scene, method, template, body, expected):
    """Does every actor get exactly what its role, its invitation and the case circle allow: the page or a
    Dutch refusal of content for those allowed, 403 for invitees without the right, 404 (and a 'denied'
    audit row) for everyone who is not invited?"""
    url = template.format(**scene["ids"])
    for actor in ACTORS:
        user = scene["actors"][actor]
        auth.login(user)
        before = len(audit_rows(db, action="denied"))
        resp = _call(app, client, method, url, _fill(body, scene["ids"]) if body is not None else None)
        want = expected[actor]
        if want == "ok":
            assert resp.status_code in OK, f"{actor}: {resp.status_code} {text_of(resp.text)[:300]}"
        else:
            assert resp.status_code == want, f"{actor}: expected {want}, got {resp.status_code}"
            if want == 404:
                assert len(audit_rows(db, action="denied")) > before, f"{actor}: refusal not on record"
        auth.logout()


def test_anonymous_is_sent_to_login_or_gets_401(app, client, db, scene):
    """Is an anonymous visitor sent to the login page on every meeting route, and every anonymous API call
    answered with 401 JSON, with nothing changed?"""
    before = len(audit_rows(db))
    for method, template, body, _ in ROUTES:
        url = template.format(**scene["ids"])
        resp = _call(app, client, method, url, _fill(body, scene["ids"]) if body is not None else None)
        if url.startswith("/api/"):
            assert resp.status_code == 401 and resp.get_json()["error"] == 401, url
        else:
            assert resp.status_code == 302 and "/login" in resp.headers["Location"], url
    assert len(audit_rows(db)) == before


def test_partner_sees_only_its_own_case_items_on_the_page(client, auth, scene):
    """Does POL (case A only) see A's reference and its times, B as 'casus (niet zichtbaar)' with its times,
    and not B's reference; and GGZ the other way round?"""
    world = scene["world"]
    a, b = world["case_a"].reference, world["case_b"].reference
    for actor, mine, other in (("partner_a", a, b), ("partner_b", b, a)):
        auth.login(scene["actors"][actor])
        page = text_of(client.get(f"/overleggen/{scene['ids']['m']}").text)
        assert mine in page and other not in page and HIDDEN_CASE in page
        assert "10:15–10:45" in page and "10:45–11:15" in page
        auth.logout()


def test_partner_sees_only_its_own_case_items_in_the_api(app, client, auth, scene):
    """Does the API give POL case A's reference and id, and case B only as a hidden item with its times?"""
    world = scene["world"]
    auth.login(scene["actors"]["partner_a"])
    resp = client.get(f"/api/v1/meetings/{scene['ids']['m']}")
    assert resp.status_code == 200
    items = {i["id"]: i for i in resp.get_json()["items"]}
    mine, other = items[scene["ids"]["ia"]], items[scene["ids"]["ib"]]
    assert mine["case_reference"] == world["case_a"].reference and mine["invited"]
    assert other["case_reference"] is None and other["case_id"] is None and other["label"] == HIDDEN_CASE
    assert other["start_local"][11:16] == "10:45" and other["end_local"][11:16] == "11:15"
    assert world["case_b"].reference not in resp.text
    # and the partner sees its own invitation, not the others'
    assert [i["user_id"] for i in resp.get_json()["invitations"]] == [scene["actors"]["partner_a"].id]
    assert client.get(f"/api/v1/meetings/{scene['ids']['m']}/items/{scene['ids']['ib']}/updates").status_code == 404


def test_partner_sees_only_its_own_case_items_in_its_feed(app, client, scene, service):
    """Does POL's personal feed hold one event, at case A's slot, and nothing of case B?"""
    world = scene["world"]
    token = service(feeds.renew_token, scene["actors"]["partner_a"])
    resp = client.get(f"/overleggen/feed/{token}.ics")
    assert resp.status_code == 200
    (event,) = events(Calendar.from_ical(resp.data))
    assert world["case_a"].reference in str(event["SUMMARY"])
    assert world["case_b"].reference not in resp.text
    # the chair (whole meeting, VT: in A's circle only) sees B as hidden in the agenda of the meeting event
    token = service(feeds.renew_token, scene["actors"]["chair"])
    text = client.get(f"/overleggen/feed/{token}.ics").text.replace("\r\n ", "")
    assert world["case_a"].reference in text and world["case_b"].reference not in text and HIDDEN_CASE in text


def test_week_view_shows_a_partner_its_own_slot_only(client, auth, scene):
    """Does POL's week view show case A's slot (10:15–10:45) and not the whole meeting or case B?"""
    from mda.core.timeutil import to_local

    day = to_local(scene["meeting"].starts_at).date()
    auth.login(scene["actors"]["partner_a"])
    page = text_of(client.get(f"/overleggen/week?datum={day.isoformat()}").text)
    assert f"10:15–10:45 Casuïstiekoverleg: {scene['world']['case_a'].reference}" in page
    assert "10:00–12:00" not in page and scene["world"]["case_b"].reference not in page


def test_revoked_feed_token_is_a_plain_404(app, client, auth, scene, service):
    """Does a revoked (or renewed-away, or unknown) token give a bare 404 with no hint, while the new one works?"""
    user = scene["actors"]["partner_a"]
    old = service(feeds.renew_token, user)
    assert client.get(f"/overleggen/feed/{old}.ics").status_code == 200
    new = service(feeds.renew_token, user)
    assert client.get(f"/overleggen/feed/{new}.ics").status_code == 200
    gone = client.get(f"/overleggen/feed/{old}.ics")
    unknown = client.get("/overleggen/feed/verzonnen-token.ics")
    assert gone.status_code == unknown.status_code == 404 and gone.text == unknown.text
    service(feeds.revoke_token, user)
    assert client.get(f"/overleggen/feed/{new}.ics").status_code == 404


def test_feed_of_a_deactivated_user_stops(app, client, db, scene, service):
    """Does the feed of a user who is deactivated answer 404?"""
    user = scene["actors"]["partner_a"]
    token = service(feeds.renew_token, user)
    user.active = False
    db.add(user)
    db.commit()
    assert client.get(f"/overleggen/feed/{token}.ics").status_code == 404


def test_subscription_page_shows_the_address_once_and_keeps_reminders(app, client, auth, db, scene):
    """Does making an address show it once (working), keep the chosen reminders ticked, and does revoking it
    make the address answer 404?"""
    import re

    from tests.conftest import form_post

    auth.login(scene["actors"]["partner_a"])
    form_post(app, client, "/overleggen/agenda-abonnement", {"reminders": ["30", "1440"]})
    page = form_post(app, client, "/overleggen/agenda-abonnement/vernieuwen", {}).text
    url = re.search(r"http://mda\.test(/overleggen/feed/[^<\s]+\.ics)", page).group(1)
    assert re.search(r'value="30"[^>]*checked|checked[^>]*value="30"', page)
    assert client.get(url).status_code == 200
    assert url not in client.get("/overleggen/agenda-abonnement").text, "shown only once"
    form_post(app, client, "/overleggen/agenda-abonnement/intrekken", {})
    assert client.get(url).status_code == 404
