"""A Demodam case with a circle, persons, items and the people around it, for the case tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlmodel import select

from mda.cases import catalogue
from mda.cases.catalogue import Covenant, CovenantRule
from mda.organisations.models import Region
from tests.conftest import csrf_token


def demodam_region(db) -> Region:
    """The region whose covenant file (sharing/covenants/DEMODAM.toml) the tests rely on."""
    region = db.exec(select(Region).where(Region.code == "DEMODAM")).first()
    if region is None:
        region = Region(code="DEMODAM", name="Demodam (test)")
        db.add(region)
        db.commit()
    return region


@pytest.fixture
def strict_covenant(monkeypatch):
    """Demodam's covenant replaced by one without any rule, so that no ``*`` rule hides a leak; call the fixture's
    value with an organisation type and category codes to add an explicit rule."""
    rules: list[CovenantRule] = []
    real = catalogue.covenant

    def covenant(code, *args, **kwargs):
        if code == "DEMODAM":
            return Covenant("DEMODAM", "Strikt testconvenant (zonder *-regels)", tuple(rules))
        return real(code, *args, **kwargs)

    monkeypatch.setattr(catalogue, "covenant", covenant)

    def allow(recipient: str, *categories: str) -> None:
        rules.append(CovenantRule(recipient, frozenset(categories), f"strikte testregel {len(rules) + 1}"))

    return allow


@dataclass
class Scenario:
    """Who is who around one case; items by name; outsiders and staff roles."""

    case: object
    orgs: dict
    users: dict
    persons: dict
    items: dict = field(default_factory=dict)


@pytest.fixture
def scenario(db, make_org, make_user, make_case, make_person, make_item) -> Scenario:
    """Case in Demodam: coordinator at ZVH; POL, GGZ, LT, VT professionals named; OM outside the circle.

    Items: a GGZ health item about the victim (special: nobody but GGZ sees it without a basis),
    a police justice item about the suspect (VT by covenant), and an ordinary risk item (all, by covenant).
    """
    region = demodam_region(db)
    orgs = {t: make_org(t, name=f"{t} Demodam test", region=region) for t in ("ZVH", "POL", "GGZ", "LT", "VT", "OM")}
    users = {t.lower(): make_user(roles=("professional",), org=orgs[t]) for t in ("POL", "GGZ", "LT", "VT", "OM")}
    users["coordinator"] = make_user(roles=("coordinator",), org=orgs["ZVH"])
    users["other_coordinator"] = make_user(roles=("coordinator",), org=orgs["ZVH"])
    users["lt_lead"] = make_user(roles=("team_lead",), org=orgs["LT"])
    users["om_lead"] = make_user(roles=("team_lead",), org=orgs["OM"])
    users["privacy"] = make_user(roles=("privacy_officer",), org=orgs["ZVH"])
    users["admin"] = make_user(roles=("admin",), org=orgs["ZVH"])
    case = make_case(users["coordinator"], members=[users[k] for k in ("pol", "ggz", "lt", "vt")])
    victim = make_person(case, source_org=orgs["ZVH"], name="Vera Slachtoffer (fictief)", bsn="111222333")
    suspect = make_person(case, source_org=orgs["POL"], role="vermoedelijke_pleger", name="Piet Pleger (fictief)",
                          date_of_birth=date(1980, 5, 5))
    s = Scenario(case=case, orgs=orgs, users=users, persons={"victim": victim, "suspect": suspect})
    s.items["health"] = make_item(case, orgs["GGZ"], "gezondheid", persons=[victim],
                                  content="GEHEIM-GGZ behandeling van het slachtoffer", author=users["ggz"])
    s.items["justice"] = make_item(case, orgs["POL"], "justitie", persons=[suspect],
                                   content="GEHEIM-POL aangifte tegen de pleger", author=users["pol"])
    s.items["risk"] = make_item(case, orgs["LT"], "risicosignalen", persons=[victim, suspect],
                                content="Risicosignaal: drie meldingen", author=users["lt"])
    return s


def api_post(app, client, url: str, payload: dict):
    """POST JSON with the session cookie and the CSRF header, as the browser would."""
    return client.post(url, json=payload, headers={"X-CSRFToken": csrf_token(app, client)})


@pytest.fixture
def switch_to(auth):
    """Log out whoever is logged in, then log *user* in (the login page ignores a logged-in client)."""

    def switch(user):
        auth.logout()
        resp = auth.login(user)
        assert resp.status_code == 302, resp.text[:300]
        return user

    return switch
