"""Organisation-owned actions reach people: "Acties van mijn organisatie", the team lead's assignment,
and the coordinator's overview of overdue and unowned actions."""

from datetime import date

import pytest

from mda.cases.models import CaseMember
from mda.core import sharing
from mda.core.timeutil import utcnow
from mda.safety_plan import services
from mda.safety_plan.models import PlanAction
from tests.conftest import audit_rows, form_post, text_of, working_day
from tests.safety_plan.test_pages import _count_queries

FUTURE = working_day(14)


@pytest.fixture
def org_action(db, scenario):
    """An action owned by the LT organisation (no person), and a personal one of the LT professional."""
    s = scenario
    ctx = sharing.load_context(db, s.case)
    s.org_action = services.add_action(db, s.users["pol"], ctx, description="ORG-ACTIE Gesprek met school",
                                       deadline=FUTURE, owner_organisation_id=s.orgs["LT"].id)
    services.add_action(db, s.users["pol"], ctx, description="PERSOONLIJK Huisbezoek", deadline=FUTURE,
                        owner_user_id=s.users["lt"].id)
    db.commit()
    return s


def _add_member(db, case, user):
    db.add(CaseMember(case_id=case.id, user_id=user.id, added_at=utcnow()))
    db.commit()


@pytest.mark.parametrize("who", ["lt", "lt_lead"])
def test_members_and_team_lead_of_the_owning_organisation_see_its_action(client, auth, org_action, who):
    """Do the LT professional and the LT team lead both find the LT organisation's action under
    "Acties van mijn organisatie" (and not the personal action of a colleague)?"""
    auth.login(org_action.users[who])
    page = client.get("/acties-van-mijn-organisatie")
    assert page.status_code == 200
    assert "ORG-ACTIE Gesprek met school" in page.text and "PERSOONLIJK" not in page.text


@pytest.mark.parametrize("who", ["pol", "om_lead"])
def test_other_organisations_do_not_see_it(client, auth, org_action, who):
    """Does a police professional (in the circle) or a team lead of an organisation outside the circle see
    nothing of the LT organisation's action there?"""
    auth.login(org_action.users[who])
    page = client.get("/acties-van-mijn-organisatie")
    assert page.status_code == 200 and "ORG-ACTIE" not in page.text


def test_a_colleague_outside_the_circle_does_not_see_it(client, auth, org_action, make_user):
    """Does an LT professional who is not in the case's circle still get nothing of it (the engine's rule 1)?"""
    outsider = make_user(roles=("professional",), org=org_action.orgs["LT"])
    auth.login(outsider)
    assert "ORG-ACTIE" not in client.get("/acties-van-mijn-organisatie").text


def test_the_filters_work_as_on_my_actions(app, client, auth, db, org_action):
    """Do the status and overdue filters narrow the organisation's list as they do on Mijn acties?"""
    ctx = sharing.load_context(db, org_action.case)
    services.add_action(db, org_action.users["pol"], ctx, description="ORG-TE-LAAT", deadline=date(2026, 11, 2),
                        owner_organisation_id=org_action.orgs["LT"].id, allow_past_deadline=True)
    db.commit()
    auth.login(org_action.users["lt"])
    late = client.get("/acties-van-mijn-organisatie?te_laat=1").text
    assert "ORG-TE-LAAT" in late and "ORG-ACTIE Gesprek" not in late
    done = client.get("/acties-van-mijn-organisatie?status=gereed").text
    assert "ORG-" not in done


def test_the_team_lead_assigns_it_to_a_colleague_audited(app, client, auth, db, org_action, make_user):
    """Can the LT team lead hand the action to an LT colleague in the circle, so that it lands in the colleague's
    Mijn acties, audited with ids only?"""
    s = org_action
    colleague = make_user(roles=("professional",), org=s.orgs["LT"])
    _add_member(db, s.case, colleague)
    auth.login(s.users["lt_lead"])
    page = client.get("/acties-van-mijn-organisatie").text
    assert f'<option value="{colleague.id}">' in page
    resp = form_post(app, client, f"/casussen/{s.case.id}/plan/acties/{s.org_action.id}/toewijzen",
                     {"colleague": colleague.id})
    assert resp.status_code == 302
    db.expire_all()
    assert db.get(PlanAction, s.org_action.id).owner_user_id == colleague.id
    (row,) = [r for r in audit_rows(db, object_type="plan_action", action="update") if "toegewezen" in r.summary]
    assert f"gebruiker {colleague.id}" in row.summary
    assert "school" not in row.summary and colleague.name not in row.summary
    auth.logout()
    auth.login(colleague)
    assert "ORG-ACTIE Gesprek met school" in client.get("/mijn-acties").text


def test_only_the_team_lead_assigns_and_only_to_a_colleague_in_the_circle(app, client, auth, db, org_action,
                                                                           make_user, switch_to):
    """Is assigning refused to a professional (403), and refused with a Dutch message for a colleague outside
    the circle or someone of another organisation, leaving the action with the organisation?"""
    s = org_action
    outsider = make_user(roles=("professional",), org=s.orgs["LT"])
    url = f"/casussen/{s.case.id}/plan/acties/{s.org_action.id}/toewijzen"
    switch_to(s.users["lt"])
    assert form_post(app, client, url, {"colleague": s.users["lt"].id}).status_code == 403
    switch_to(s.users["lt_lead"])
    for person in (outsider, s.users["pol"]):
        resp = form_post(app, client, url, {"colleague": person.id})
        assert resp.status_code == 422 and "Kies een collega van uw organisatie" in text_of(resp.text)
    db.expire_all()
    assert db.get(PlanAction, s.org_action.id).owner_user_id is None


def test_the_organisation_list_has_a_bounded_query_count(app, client, auth, db, org_action, make_case):
    """Does "Acties van mijn organisatie" use about the same number of queries for 1 and for 40 actions over
    several cases (paged, one context per case)?"""
    s = org_action
    auth.login(s.users["lt_lead"])
    small = _count_queries(app, lambda: client.get("/acties-van-mijn-organisatie"))
    for _ in range(3):
        other = make_case(s.users["coordinator"], orgs=[s.orgs["LT"], s.orgs["POL"]], members=[s.users["pol"]])
        ctx = sharing.load_context(db, other)
        for n in range(13):
            services.add_action(db, s.users["pol"], ctx, description=f"Elders {n}", deadline=FUTURE,
                                owner_organisation_id=s.orgs["LT"].id)
    db.commit()
    big = _count_queries(app, lambda: client.get("/acties-van-mijn-organisatie"))
    assert "Pagina 1 van 2" in client.get("/acties-van-mijn-organisatie").text
    assert big <= small + 3 * 8, (small, big)


# ----------------------------------------------------------------------------- coordinator overview
def test_the_coordinator_sees_overdue_and_unowned_actions_of_all_her_cases(app, client, auth, db, org_action,
                                                                            make_case, make_user):
    """Does the coordinator's overview list overdue actions and actions without a person (organisation-owned,
    or owned by a closed account) from all her cases, and leave out the ones on track?"""
    s = org_action
    leaver = make_user(roles=("professional",), org=s.orgs["POL"])
    other = make_case(s.users["coordinator"], members=[s.users["pol"], leaver])
    ctx = sharing.load_context(db, other)
    services.add_action(db, s.users["pol"], ctx, description="ELDERS-TE-LAAT", deadline=date(2026, 11, 20),
                        owner_user_id=s.users["pol"].id, allow_past_deadline=True)
    services.add_action(db, s.users["pol"], ctx, description="ELDERS-VERTREKKER", deadline=FUTURE,
                        owner_user_id=leaver.id)
    services.add_action(db, s.users["pol"], ctx, description="ELDERS-OP-KOERS", deadline=FUTURE,
                        owner_user_id=s.users["pol"].id)
    db.commit()
    leaver.active = False
    db.add(leaver)
    db.commit()
    auth.login(s.users["coordinator"])
    text = text_of(client.get("/regie/acties").text)
    for shown in ("ORG-ACTIE", "ELDERS-TE-LAAT", "ELDERS-VERTREKKER"):
        assert shown in text
    assert "ELDERS-OP-KOERS" not in text and "PERSOONLIJK" not in text
    late = text_of(client.get("/regie/acties?soort=te_laat").text)
    assert "ELDERS-TE-LAAT" in late and "ORG-ACTIE" not in late
    assert "(organisatie), nog geen persoon" in text
    home = text_of(client.get("/").text)
    assert "3 actie(s) aandacht" in home


def test_the_overview_is_the_coordinators_own(client, auth, org_action):
    """Does another coordinator see none of these actions, and a professional get 403?"""
    auth.login(org_action.users["other_coordinator"])
    assert "ORG-ACTIE" not in client.get("/regie/acties").text
    auth.logout()
    auth.login(org_action.users["lt"])
    assert client.get("/regie/acties").status_code == 403


def test_the_overview_has_a_bounded_query_count(app, client, auth, db, org_action, make_case):
    """Does the overview use about the same number of queries for 1 and for 40 actions over several cases?"""
    s = org_action
    auth.login(s.users["coordinator"])
    small = _count_queries(app, lambda: client.get("/regie/acties"))
    for _ in range(3):
        other = make_case(s.users["coordinator"], orgs=[s.orgs["LT"]], members=[s.users["pol"]])
        ctx = sharing.load_context(db, other)
        for n in range(13):
            services.add_action(db, s.users["pol"], ctx, description=f"Elders {n}", deadline=FUTURE,
                                owner_organisation_id=s.orgs["LT"].id)
    db.commit()
    big = _count_queries(app, lambda: client.get("/regie/acties"))
    assert big <= small + 3 * 8, (small, big)
