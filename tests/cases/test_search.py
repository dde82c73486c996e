"""Searching and filtering the case list (page and API): filters narrow the circle's cases, never widen them."""

import pytest

from tests.conftest import text_of


@pytest.fixture
def cases(db, make_org, make_user, make_case):
    """A coordinator with three cases (two in triage, one in herstel), a POL professional named in two of
    them, and another coordinator's case the professional is not in."""
    zvh, pol_org = make_org("ZVH"), make_org("POL")
    coordinator = make_user(roles=("coordinator",), org=zvh)
    other = make_user(roles=("coordinator",), org=zvh)
    pol = make_user(roles=("professional",), org=pol_org)
    a = make_case(coordinator, members=[pol])
    b = make_case(coordinator, members=[pol], phase="herstel")
    c = make_case(coordinator)
    foreign = make_case(other)
    return dict(coordinator=coordinator, other=other, pol=pol, a=a, b=b, c=c, foreign=foreign)


def _refs(client, query: str) -> set[str]:
    body = client.get(f"/api/v1/cases?{query}").get_json()
    return {c["reference"] for c in body["cases"]}


def test_filters_narrow_the_list(client, auth, cases):
    """Do reference, phase, coordinator and role filters each keep exactly the matching cases of the circle?"""
    auth.login(cases["coordinator"])
    a, b, c = (cases[k].reference for k in "abc")
    assert _refs(client, "") == {a, b, c}
    assert _refs(client, f"zoek={a[-4:]}") == {a}
    assert _refs(client, f"zoek={a.lower()}") == {a}
    assert _refs(client, "fase=herstel") == {b}
    assert _refs(client, "fase=triage&rol=regie") == {a, c}
    assert _refs(client, f"regisseur={cases['coordinator'].id}") == {a, b, c}
    auth.logout()
    auth.login(cases["pol"])
    assert _refs(client, "rol=kring") == {a, b}
    assert _refs(client, "rol=regie") == set()


def test_no_filter_widens_the_circle(client, auth, cases):
    """Can a professional find another coordinator's case by its reference or coordinator? (must not; while the
    same searches find that case for its own coordinator, and the professional's own case by its reference)"""
    foreign, own = cases["foreign"], cases["a"]
    queries = (f"zoek={foreign.reference}", f"regisseur={cases['other'].id}", "rol=organisatie", "zoek=%25", "zoek=_")
    auth.login(cases["pol"])
    for query in queries:
        assert foreign.reference not in _refs(client, query), query
        assert f'href="/casussen/{foreign.id}"' not in client.get(f"/casussen/?{query}").text
    assert _refs(client, f"zoek={own.reference}") == {own.reference}  # control: the search works for this user
    assert f'href="/casussen/{own.id}"' in client.get(f"/casussen/?zoek={own.reference}").text
    auth.logout()
    auth.login(cases["other"])  # control: the queries above do find the case for someone in its circle
    for query in queries[:2]:
        assert foreign.reference in _refs(client, query), query
        assert f'href="/casussen/{foreign.id}"' in client.get(f"/casussen/?{query}").text, query


def test_the_page_and_the_api_agree_and_nonsense_gets_a_dutch_message(client, auth, cases):
    """Does the page list what the API lists, and does a nonsense filter give a Dutch message (page 200, API 422)?"""
    auth.login(cases["coordinator"])
    page = text_of(client.get("/casussen/?fase=herstel").text)
    assert cases["b"].reference in page and cases["a"].reference not in page
    for query in ("fase=onzin", "regisseur=abc", "regisseur=99999999999", "rol=baas", "zoek=" + "x" * 41):
        resp = client.get(f"/casussen/?{query}")
        assert resp.status_code == 200 and "Het filter is zonder die waarde toegepast" in text_of(resp.text), query
        api = client.get(f"/api/v1/cases?{query}")
        message = api.get_json()["message"]
        assert api.status_code == 422 and ("Kies" in message or "hoogstens" in message), query


def test_the_pager_keeps_the_filter(client, auth, cases, make_case):
    """On page 1 of a filtered list, does the link to page 2 carry the filter?"""
    for _ in range(3):
        make_case(cases["coordinator"], phase="herstel")
    auth.login(cases["coordinator"])
    html = client.get("/casussen/?fase=herstel&per_page=2").text
    import re

    link = re.search(r'<a [^>]*rel="next"[^>]*>', html).group(0)
    assert "fase=herstel" in link and "page=2" in link


def test_the_coordinator_filter_lists_coordinators_of_the_users_own_cases_only(db, cases, make_case, monkeypatch):
    """Does the filter's list name the coordinators of the professional's newest visible cases, never the
    coordinator of a case outside their circles, and stay bounded by the newest cases it reads?"""
    from mda.cases import search

    assert search.coordinator_choices(db, cases["pol"]) == [(cases["coordinator"].id, cases["coordinator"].name)]
    assert search.coordinator_choices(db, cases["other"]) == [(cases["other"].id, cases["other"].name)]
    make_case(cases["other"], members=[cases["pol"]])  # the professional's newest case, another coordinator
    assert {uid for uid, _ in search.coordinator_choices(db, cases["pol"])} == {cases["coordinator"].id,
                                                                                cases["other"].id}
    monkeypatch.setattr(search, "CHOICES_FROM_CASES", 1)  # only the newest visible case is read
    assert [uid for uid, _ in search.coordinator_choices(db, cases["pol"])] == [cases["other"].id]


def test_the_api_refuses_an_empty_coordinator_filter_as_its_document_says(app, client, auth, scenario):
    """The OpenAPI document gives ``regisseur`` as an account number: does ``?regisseur=`` get a Dutch 422 from the
    API (the page reads it as "every coordinator"), while leaving the parameter out lists the cases?"""
    auth.login(scenario.users["coordinator"])
    refused = client.get("/api/v1/cases?regisseur=")
    assert refused.status_code == 422 and "accountnummer" in refused.get_json()["message"]
    assert client.get("/api/v1/cases").status_code == 200
    assert client.get("/casussen/?regisseur=").status_code == 200
