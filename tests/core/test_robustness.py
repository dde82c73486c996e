"""Hostile input on every route: huge ids, far dates, NUL bytes and very long values never give a 5xx.

The walk is built from ``app.url_map`` and from the parameter names the code reads (query
arguments and form fields, found by scanning the source), so a route or field added later is
probed without changing this file.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from mda import ROOT
from tests.conftest import AuthActions, csrf_token

HUGE_INTS = [2**31, 2**63, 10**30]
HOSTILE = ["9" * 30, str(2**63), "-1", "0001-01-01", "9999-12-31", "01-01-0001", "\x00", "x" * 100_000]
LONG = "x" * 100_000
#: endpoints the walk must not call: they end the walker's own session
SKIP = {"static", "auth.logout"}
#: parameters that select which form a route shows; held at a valid value so the form itself is probed
FIXED = {"type": "casuistiekoverleg", "type_code": "casuistiekoverleg"}


def _names(pattern: str) -> set[str]:
    found = set()
    for path in Path(ROOT, "mda").rglob("*.py"):
        found |= set(re.findall(pattern, path.read_text(), re.M))
    return found


#: every query argument the code reads, and every form or query-model field
QUERY_NAMES = sorted(_names(r"args\.get\(\"(\w+)\"") | _names(r"values\.get\(\"(\w+)\""))
FIELD_NAMES = sorted(_names(r"^\s+(\w+)\s*(?::\s*[^=\n]+)?=\s*\w*(?:Field|FieldList)\(") - {"submit"})


@pytest.fixture
def walk_world(app, db, make_region, make_org, make_user, make_case, make_person):
    """A case with a person, a meeting on it, and the users who walk: outsider, member, admin, privacy officer."""
    from mda.core.timeutil import utcnow
    from mda.meetings.services import MeetingData, create_meeting

    region = make_region()
    zvh, vt, pol = (make_org(t, region=region) for t in ("ZVH", "VT", "POL"))
    coordinator = make_user(roles=("coordinator",), org=zvh)
    member = make_user(roles=("professional",), org=vt)
    outsider = make_user(roles=("professional",), org=pol)
    admin = make_user(roles=("admin",), org=zvh)
    officer = make_user(roles=("privacy_officer",), org=zvh)
    target = make_user(roles=("professional",), org=vt)
    case = make_case(coordinator, members=[member])
    person = make_person(case)
    start = (utcnow() + timedelta(days=21)).replace(hour=9, minute=0, second=0, microsecond=0)
    with app.test_request_context():
        from mda import db as mdadb

        s = mdadb.session()
        meeting = create_meeting(s, s.get(type(coordinator), coordinator.id),
                                 MeetingData(type_code="casuistiekoverleg", title="Overleg robuustheid",
                                             location="Zaal 1",
                                             starts_at=start, ends_at=start + timedelta(hours=2),
                                             case_ids=[case.id]))
        mdadb.commit()
    ids = {"case_id": case.id, "meeting_id": meeting.id, "person_id": person.id, "user_id": target.id,
           "org_id": vt.id}
    return {"walkers": {"coordinator": coordinator, "member": member, "outsider": outsider, "admin": admin,
                        "officer": officer}, "ids": ids}


def _probes(app, ids, share: int = 1, turn: int = 0):
    """(method, url, query, form) for every rule, with hostile path, query and form values.

    With *share* n, only every n-th hostile value of each rule and method is probed, starting at *turn* and moving
    one on per rule: walkers with turns 0..n-1 together probe every value of every rule."""
    for rule_no, rule in enumerate(app.url_map.iter_rules()):
        if rule.endpoint in SKIP:
            continue
        methods = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m in rule.methods]
        convs = rule._converters  # noqa: SLF001 - the argument converters of the rule

        def build(value, huge=None):
            args = {}
            for name, conv in convs.items():
                if isinstance(conv, IntegerConverter):
                    args[name] = huge if huge is not None else ids.get(name, 1)
                elif isinstance(conv, AnyConverter):
                    args[name] = sorted(conv.items)[-1] if hasattr(conv, "items") else "x"
                else:
                    args[name] = value
            with app.test_request_context():
                from flask import url_for

                return url_for(rule.endpoint, **args)

        for method in methods:
            if any(isinstance(c, IntegerConverter) for c in convs.values()):
                for huge in HUGE_INTS:
                    yield method, build("x", huge), {}, {}
            for value_no, value in enumerate(HOSTILE):
                if (rule_no + value_no + turn) % share:
                    continue
                path = build(value)
                if value == LONG:
                    yield method, path, {n: value for n in QUERY_NAMES if n not in FIXED} | FIXED, {}
                    if method == "GET":
                        continue
                    for i in range(0, len(FIELD_NAMES), 19):  # under the 2 MB request limit, so it is read
                        chunk = FIELD_NAMES[i:i + 19]
                        yield method, path, FIXED, {n: value for n in chunk if n not in FIXED} | FIXED
                else:
                    query = {n: value for n in QUERY_NAMES if n not in FIXED} | FIXED
                    form = {n: value for n in FIELD_NAMES if n not in FIXED} | FIXED
                    yield method, path, query, form if method != "GET" else {}


WALKERS = ["anonymous", "outsider", "member", "coordinator", "admin", "officer"]
#: ``make test`` bounds the walk (CI stays well under 45 minutes): every caller walks every route with every huge id,
#: and a third of the hostile values, a different third per caller and per route, so that the six callers together
#: probe every value of every route twice. ``MDA_ROBUSTNESS_FULL=1`` (``make soak``) walks every value as every
#: caller; ``MDA_ROBUSTNESS_WALKERS`` names fewer callers.
SHARE = 1 if os.environ.get("MDA_ROBUSTNESS_FULL") == "1" else 3
WALKERS = [w for w in os.environ.get("MDA_ROBUSTNESS_WALKERS", ",".join(WALKERS)).split(",") if w in WALKERS]


@pytest.mark.parametrize("walker", WALKERS)
def test_hostile_values_on_every_route_never_give_a_server_error(app, db, walk_world, walker):
    """Does any route answer 5xx to huge ids, far dates, NUL bytes or 100,000-character values,
    for an anonymous caller, an outsider, a circle member, the coordinator, an admin or the privacy officer?"""
    assert QUERY_NAMES and "datum" in QUERY_NAMES and "day" in FIELD_NAMES  # the scan found the inputs
    client = app.test_client()
    if walker != "anonymous":
        assert AuthActions(app, client, db).login(walk_world["walkers"][walker]).status_code == 302
    failures = []
    count = 0
    for method, path, query, form in _probes(app, walk_world["ids"], SHARE, WALKERS.index(walker) % SHARE):
        headers = {"X-CSRFToken": csrf_token(app, client)} if walker != "anonymous" else {}
        data = dict(form)
        if method != "GET" and walker != "anonymous":
            data["csrf_token"] = headers["X-CSRFToken"]
        resp = client.open(path, method=method, query_string=query, data=data or None, headers=headers)
        count += 1
        if resp.status_code >= 500:
            shown = {k: (v[:20] + "…" if len(v) > 20 else v) for k, v in {**query, **form}.items()}
            failures.append(f"{method} {path[:80]} {sorted(set(shown.values()))[:3]} -> {resp.status_code}")
    assert count > 500 // SHARE
    assert not failures, f"{len(failures)} of {count} probes gave 5xx:\n" + "\n".join(failures[:60])


def test_the_callers_shares_of_the_walk_together_probe_every_value_of_every_route(app, walk_world):
    """When each caller walks only a share of the hostile values (make test), do the callers' shares together
    still probe every value of every route, and each share less than the whole walk?"""
    def probes(share: int, turn: int) -> set:
        return {(method, path, tuple(sorted(query.items())), tuple(sorted(form.items())))
                for method, path, query, form in _probes(app, walk_world["ids"], share, turn)}

    whole = probes(1, 0)
    shares = [probes(3, turn) for turn in range(3)]
    assert set().union(*shares) == whole
    assert all(len(share) < len(whole) * 0.6 for share in shares)
