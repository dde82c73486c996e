"""Every page and feed runs a number of queries that does not grow with the data shown (rule 8)."""

from __future__ import annotations

import pytest

from tests.cases.conftest import demodam_region


def _cases(make_case, make_person, make_item, coordinator, members, orgs, n):
    cases = []
    for _ in range(n):
        case = make_case(coordinator, members=members)
        victim = make_person(case, source_org=orgs[0])
        for org in orgs:
            make_item(case, org, "risicosignalen", persons=[victim])
        cases.append(case)
    return cases


@pytest.fixture
def region_people(db, make_org, make_user):
    """A Demodam coordinator and two professionals (POL, GGZ), plus a POL team lead."""
    region = demodam_region(db)
    orgs = [make_org(t, region=region) for t in ("ZVH", "POL", "GGZ")]
    return dict(orgs=orgs, coordinator=make_user(roles=("coordinator",), org=orgs[0]),
                pol=make_user(roles=("professional",), org=orgs[1]),
                ggz=make_user(roles=("professional",), org=orgs[2]),
                lead=make_user(roles=("team_lead",), org=orgs[1]))


def _measure(count_queries, client, url):
    with count_queries() as q:
        resp = client.get(url)
    assert resp.status_code == 200, resp.text[:300]
    return q


@pytest.mark.parametrize("who", ["coordinator", "pol", "lead"])
@pytest.mark.parametrize("url", ["/casussen/", "/api/v1/cases", "/casussen/?zoek=mda-2026&fase=triage&rol=kring",
                                 "/api/v1/cases?zoek=2026&fase=triage"])
def test_case_list_query_count_does_not_grow_with_cases(client, auth, count_queries, region_people, make_case,
                                                        make_person, make_item, who, url):
    """Does the case list (page and API) run as many queries for 12 cases as for 2, for each role?"""
    p = region_people
    auth.login(p[who])
    _cases(make_case, make_person, make_item, p["coordinator"], [p["pol"], p["ggz"]], p["orgs"], 2)
    few = _measure(count_queries, client, url)
    _cases(make_case, make_person, make_item, p["coordinator"], [p["pol"], p["ggz"]], p["orgs"], 10)
    many = _measure(count_queries, client, url)
    assert len(many) == len(few), many
    # session user, count, page, coordinators' names (+ org of the menu; the page: the coordinator filter's list)
    assert len(few) <= 7, few


def test_case_list_is_paged(client, auth, region_people, make_case, make_person, make_item):
    """Does the case list show one page of per_page cases, and the API say how many there are?"""
    p = region_people
    auth.login(p["pol"])
    _cases(make_case, make_person, make_item, p["coordinator"], [p["pol"]], p["orgs"][:1], 5)
    body = client.get("/api/v1/cases?per_page=2&page=3").get_json()
    assert (body["page"], body["per_page"], body["total"], body["pages"], len(body["cases"])) == (3, 2, 5, 3, 1)
    assert client.get("/api/v1/cases?per_page=100000").get_json()["per_page"] == 200
    assert client.get("/api/v1/cases?page=x&per_page=-1").get_json()["page"] == 1
    page = client.get("/casussen/?per_page=2")
    assert page.status_code == 200 and page.text.count("/casussen/") >= 2
    assert "Pagina 1 van 3" in page.text and "Volgende" in page.text


@pytest.mark.parametrize("url", ["/casussen/{id}", "/api/v1/cases/{id}"])
@pytest.mark.parametrize("who", ["coordinator", "pol", "lead"])
def test_case_page_query_count_does_not_grow_with_items(client, auth, count_queries, db, region_people, make_case,
                                                        make_person, make_item, make_user, url, who):
    """Does a case page (and its API) run as many queries with 9 items, 3 persons and 12 users as with 3/1/4?"""
    p = region_people
    auth.login(p[who])
    [case] = _cases(make_case, make_person, make_item, p["coordinator"], [p["pol"], p["ggz"]], p["orgs"], 1)
    few = _measure(count_queries, client, url.format(id=case.id))
    for org in p["orgs"]:
        make_user(roles=("professional",), org=org)  # colleagues outside the circle: not loaded
        make_item(case, org, "huisverbod")
        make_item(case, org, "gezondheid")
    make_person(case, source_org=p["orgs"][1])
    make_person(case, source_org=p["orgs"][2])
    many = _measure(count_queries, client, url.format(id=case.id))
    assert len(many) == len(few), many
    # today 16 (page) and 14 (API) with meetings, plan and escalation panels and the audit insert included (was
    # 30, then 19 and 17): the persons, items, their links, the break-glass and the authors are one statement;
    # no seal in the request: PostgreSQL's sealer chains the audit rows after the commit, in batches
    assert len(few) <= (16 if url.startswith("/casussen") else 14), few


def test_visible_case_ids_follow_the_same_rule_as_the_case_query(db, region_people, make_case, make_person,
                                                                 make_item, make_user):
    """Do the cheap id pages list exactly the cases of visible_cases_query, newest first, purged ones hidden?"""
    from sqlmodel import select

    from mda.cases.models import CaseMember
    from mda.core import sharing
    from mda.core.timeutil import utcnow

    p = region_people
    cases = _cases(make_case, make_person, make_item, p["coordinator"], [p["pol"]], p["orgs"], 6)
    cases[1].purged_at = utcnow()
    db.add(cases[1])
    removed = db.exec(select(CaseMember).where(CaseMember.case_id == cases[2].id)).one()
    removed.removed_at = utcnow()
    db.add(removed)
    db.commit()
    outsider = make_user(roles=("team_lead",), org=p["orgs"][2])
    for user in (p["coordinator"], p["pol"], p["lead"], p["ggz"], outsider):
        expected = sorted((c.id for c in db.exec(sharing.visible_cases_query(user))), reverse=True)
        assert list(db.exec(sharing.visible_case_ids(user))) == expected
        assert list(db.exec(sharing.visible_case_ids(user, limit=2))) == expected[:2]
        assert list(db.exec(sharing.visible_case_ids(user, newest_first=False))) == expected[::-1]
    assert cases[1].id not in list(db.exec(sharing.visible_case_ids(p["pol"])))
    assert cases[1].id in list(db.exec(sharing.visible_case_ids(p["coordinator"])))


def test_visible_open_cases_follow_the_same_rule_most_urgent_then_newest(db, region_people, make_case, make_person,
                                                                         make_item, make_user):
    """Does the "add a case to the agenda" statement list exactly the open cases of visible_cases_query, acute then
    high then normal urgency and the newest first within each, cut at its limit, for a coordinator, a named
    professional and a team lead (purged and closed cases and removed members' cases left out)?"""
    from datetime import timedelta

    from sqlmodel import select

    from mda.cases.models import URGENCIES, CaseMember
    from mda.core import clock, sharing

    p = region_people
    cases = _cases(make_case, make_person, make_item, p["coordinator"], [p["pol"]], p["orgs"], 7)
    for n, (case, urgency) in enumerate(zip(cases, ["normaal", "acuut", "hoog", "normaal", "acuut", "hoog", "normaal"],
                                            strict=True)):
        case.urgency, case.opened_at = urgency, clock.now() - timedelta(days=n * 3 % 7)  # ages not in id order
        db.add(case)
    cases[1].purged_at = clock.now()
    cases[3].closed_at = clock.now()
    removed = db.exec(select(CaseMember).where(CaseMember.case_id == cases[2].id)).one()
    removed.removed_at = clock.now()
    db.add(removed)
    db.commit()
    rank = {code: n for n, code in enumerate(["acuut", "hoog", "normaal"])}
    outsider = make_user(roles=("team_lead",), org=p["orgs"][2])
    for user in (p["coordinator"], p["pol"], p["lead"], p["ggz"], outsider):
        open_cases = [c for c in db.exec(sharing.visible_cases_query(user)) if c.closed_at is None]
        expected = [(c.id, c.reference, c.phase, c.urgency) for c in sorted(
            open_cases, key=lambda c: (rank[c.urgency], -c.opened_at.timestamp(), -c.id))]
        params = sharing.visible_cases_params(user)
        for limit in (2, 10):
            statement = sharing.visible_open_cases_statement(bool(sharing.LEAD_ROLES & user.roles))
            assert [tuple(r) for r in db.connection().execute(statement, params | {"limit": limit})] \
                == expected[:limit], user.roles
    assert sorted(URGENCIES) == list(rank)  # the order the statement sorts by: the codes' own


def test_long_lists_are_counted_up_to_the_cap(client, auth, region_people, make_case, make_person, make_item,
                                              monkeypatch):
    """Does a list longer than the count cap say "more" instead of counting every row?"""
    from mda.core import paging

    monkeypatch.setattr(paging, "COUNT_CAP", 3)
    monkeypatch.setattr(paging.paginate_ids, "__defaults__", (3,))
    p = region_people
    auth.login(p["lead"])
    _cases(make_case, make_person, make_item, p["coordinator"], [p["pol"]], p["orgs"][:2], 5)
    body = client.get("/api/v1/cases?per_page=2&page=9").get_json()
    assert (body["total"], body["more"], body["pages"], body["page"]) == (3, True, 2, 2)
    assert "meer dan 3 casus(sen)" in client.get("/casussen/?per_page=2").text


def test_a_person_s_access_log_is_paged_with_a_query_count_that_does_not_grow(client, auth, count_queries, db,
                                                                             region_people, make_case, make_person,
                                                                             make_user):
    """Does the privacy officer's access log of one person run as many queries with 3 rows as with three pages'
    worth, show at most one page of them, and its older pages as few queries too?"""
    import re

    from mda.core import audit
    from mda.privacy.services import PAGE_SIZE

    p = region_people
    case = make_case(p["coordinator"], members=[p["pol"]])
    victim = make_person(case, source_org=p["orgs"][0])
    auth.login(make_user(roles=("privacy_officer",), org=p["orgs"][0]))

    def looked_at(n):
        for _ in range(n):
            audit.record(db, "view", user_name="kijker@test", object_type="case", case_id=case.id,
                         person_ids=[victim.id], summary="bekeken")
        db.commit()

    url = f"/privacy/personen/{victim.id}"
    looked_at(3)
    few = _measure(count_queries, client, url)
    looked_at(3 * PAGE_SIZE)
    with count_queries() as many:
        page = client.get(url)
    assert page.text.count("kijker@test") == PAGE_SIZE
    older = re.search(r'href="([^"]*voor=\d+[^"]*)"', page.text).group(1).replace("&amp;", "&")
    assert len(many) == len(few) == len(_measure(count_queries, client, older)), many
    # user, person, case, the page of rows, the officer's organisation; the audit row of this look (head, row, subject)
    assert len(few) <= 9, few.statements
