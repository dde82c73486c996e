"""Every live route × role × invitation/circle: anonymous to login, uninvited 404, not permitted 403."""

import re

import pytest

from tests.conftest import csrf_token

# (method, url, who may: "invited" | "item" (invited for case A and in its circle) | "chair")
ROUTES = [
    ("GET", "/overleggen/{m}/live", "invited"),
    ("POST", "/overleggen/{m}/live/actief", "invited"),
    ("POST", "/overleggen/{m}/live/voorzitter/starten", "chair"),
    ("POST", "/overleggen/{m}/live/voorzitter/volgende", "chair"),
    ("POST", "/overleggen/{m}/live/voorzitter/sluiten", "chair"),
    ("POST", "/overleggen/{m}/live/punten/{a}/stukken", "item"),
    ("POST", "/overleggen/{m}/live/stukken/{piece}", "item"),
    ("POST", "/overleggen/{m}/live/stukken/{piece}/afwijkend", "item"),
    ("GET", "/overleggen/{m}/live/stukken/{piece}/revisies", "item"),
    ("POST", "/overleggen/{m}/live/punten/{a}/acties", "item"),
    ("POST", "/overleggen/{m}/live/punten/{a}/score", "item"),
    ("POST", "/overleggen/{m}/live/notulen/review", "chair"),
    ("POST", "/overleggen/{m}/live/notulen/definitief", "chair"),
]
#: role -> (user key, invited, invited for case A and in its circle, chair)
ROLES = {
    "chair": ("coordinator", True, True, True),
    "partner_a": ("POL", True, True, False),
    "partner_b": ("GGZ", True, False, False),
    "uninvited": ("OM", False, False, False),
    "anonymous": (None, False, False, False),
}


def expected(role: str, who: str) -> set[int]:
    key, invited, item, chair = ROLES[role]
    if key is None:
        return {302}
    if not invited:
        return {404}
    if who == "item" and not item:
        return {404}
    if who == "chair" and not chair:
        return {403}
    return {200, 204, 302, 422}


@pytest.fixture
def piece(app, db, world, meeting, make_consent):
    """A decision in case A about the victim, written by the chair; the victim consented to sharing it with POL."""
    from mda import db as mdadb
    from mda.auth.models import User
    from mda.live import services
    from mda.meetings.models import AgendaItem, Meeting

    make_consent(world["case_a"], world["persons"][0], [world["orgs"]["POL"]], ["overleg"], world["coordinator"])
    with app.test_request_context():
        s = mdadb.session()
        m = s.get(Meeting, meeting.id)
        chair = s.get(User, world["coordinator"].id)
        created = services.create_piece(s, chair, m, s.get(AgendaItem, meeting.item_a), kind="besluit",
                                        content="Besluit in de matrix", person_ids=[world["persons"][0].id])
        mdadb.commit()
        return created.id


@pytest.mark.parametrize("role", list(ROLES))
def test_every_live_route_answers_each_role_as_the_rules_say(app, client, auth, world, meeting, piece, role):
    """Does each live route answer this role (invited or not, in the circle or not) as the rules say?"""
    key = ROLES[role][0]
    if key is not None:
        user = world["coordinator"] if key == "coordinator" else world["users"][key]
        assert auth.login(user).status_code == 302
    failures = []
    for method, template, who in ROUTES:
        url = template.format(m=meeting.id, a=meeting.item_a, piece=piece)
        resp = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": csrf_token(app, client)})
        if resp.status_code not in expected(role, who):
            failures.append(f"{method} {url}: {resp.status_code}, expected {sorted(expected(role, who))}")
    assert not failures, "\n".join(failures)


def test_matrix_covers_every_live_route(app):
    """Is every URL rule of the live blueprint (each value of an any() converter) in the matrix?"""
    listed = {re.sub(r"\{[a-z]+\}", "<>", t) for _m, t, _w in ROUTES}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("live."):
            continue
        choices = re.findall(r"<any\(([^)]*)\):[a-z_]+>", rule.rule)
        base = re.sub(r"<any\([^)]*\):[a-z_]+>", "{choice}", rule.rule)
        base = re.sub(r"<[^>]+>", "<>", base)
        values = [v.strip() for v in choices[0].split(",")] if choices else [""]
        missing += [base.format(choice=v) for v in values if base.format(choice=v) not in listed]
    assert not missing, missing
