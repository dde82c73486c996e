"""Circle management: the coordinator decides which organisations and professionals take part."""

from sqlmodel import select

from mda.cases.models import CaseMember, CaseOrganisation
from tests.conftest import audit_rows, form_post


def _url(scenario, tail=""):
    return f"/casussen/{scenario.case.id}/kring{tail}"


def test_professional_of_organisation_outside_circle_cannot_be_added(app, client, switch_to, db, scenario):
    """Is naming a professional whose organisation is not in the circle refused with a Dutch message?"""
    switch_to(scenario.users["coordinator"])
    resp = form_post(app, client, _url(scenario, "/professionals"), {"user_id": str(scenario.users["om"].id)})
    assert resp.status_code == 422 and "Voeg eerst de organisatie toe" in resp.text
    assert db.exec(select(CaseMember).where(CaseMember.user_id == scenario.users["om"].id)).first() is None


def test_adding_organisation_then_professional_opens_the_case_for_them(app, client, switch_to, db, scenario):
    """After adding OM and naming its professional, can that professional open the case (and not before)?"""
    om = scenario.users["om"]
    switch_to(om)
    assert client.get(f"/casussen/{scenario.case.id}").status_code == 404
    switch_to(scenario.users["coordinator"])
    assert form_post(app, client, _url(scenario, "/organisaties"),
                     {"organisation_id": str(scenario.orgs["OM"].id)}).status_code == 302
    assert form_post(app, client, _url(scenario, "/professionals"), {"user_id": str(om.id)}).status_code == 302
    assert audit_rows(db, action="update", object_type="case_circle")
    switch_to(om)
    assert client.get(f"/casussen/{scenario.case.id}").status_code == 200


def test_removing_organisation_removes_its_professionals_and_access(app, client, switch_to, db, scenario):
    """Does removing the police from the circle take its professional out, so the next request is 404?"""
    pol = scenario.users["pol"]
    switch_to(scenario.users["coordinator"])
    resp = form_post(app, client, _url(scenario, f"/organisaties/{scenario.orgs['POL'].id}/verwijderen"),
                     {"reason": "Politie heeft geen rol meer in de aanpak"})
    assert resp.status_code == 302
    db.expire_all()
    member = db.exec(select(CaseMember).where(CaseMember.user_id == pol.id)).one()
    assert member.removed_at is not None
    switch_to(pol)
    assert client.get(f"/casussen/{scenario.case.id}").status_code == 404
    assert client.get(f"/api/v1/cases/{scenario.case.id}").status_code == 404
    assert scenario.case.reference not in client.get("/casussen/").text


def test_coordinator_organisation_stays_in_circle(app, client, switch_to, db, scenario):
    """Is removing the coordinator's own organisation refused?"""
    switch_to(scenario.users["coordinator"])
    resp = form_post(app, client, _url(scenario, f"/organisaties/{scenario.orgs['ZVH'].id}/verwijderen"),
                     {"reason": "Probeer het toch"})
    assert resp.status_code == 422 and "blijft in de kring" in resp.text
    row = db.exec(select(CaseOrganisation).where(CaseOrganisation.organisation_id == scenario.orgs["ZVH"].id)).one()
    assert row.removed_at is None


def test_removed_professional_can_be_added_again(app, client, switch_to, db, scenario):
    """Can a professional taken out of the circle be named again (the row is reused, not duplicated)?"""
    lt = scenario.users["lt"]
    switch_to(scenario.users["coordinator"])
    assert form_post(app, client, _url(scenario, f"/professionals/{lt.id}/verwijderen")).status_code == 302
    assert form_post(app, client, _url(scenario, "/professionals"), {"user_id": str(lt.id)}).status_code == 302
    db.expire_all()
    rows = db.exec(select(CaseMember).where(CaseMember.user_id == lt.id)).all()
    assert len(rows) == 1 and rows[0].removed_at is None


def test_an_account_moved_to_another_organisation_leaves_the_circles_it_was_named_in(app, db, scenario):
    """When the administrator moves the police professional's account to the OM (not in the circle), does the
    account leave the case's circle (audited with its id only), its open action go to the police as an organisation,
    and the case drop out of its case list, as rule 1 now says?"""
    from mda import db as unit
    from mda.auth import services as accounts
    from mda.auth.models import User
    from mda.core import sharing
    from mda.safety_plan import services as plan
    from mda.safety_plan.models import PlanAction
    from tests.conftest import working_day

    pol = scenario.users["pol"]
    action = plan.add_action(db, pol, sharing.load_context(db, scenario.case), description="Huisbezoek (fictief)",
                             deadline=working_day(10), owner_user_id=pol.id)
    db.commit()
    with app.test_request_context():
        s = unit.session()
        moved = s.get(User, pol.id)
        accounts.update_user(s, s.get(User, scenario.users["admin"].id), moved, name=moved.name,
                             organisation_id=scenario.orgs["OM"].id, roles=list(moved.roles))
        unit.commit()
    db.expire_all()
    assert db.exec(select(CaseMember).where(CaseMember.user_id == pol.id,
                                            CaseMember.removed_at.is_(None))).all() == []
    handed = db.get(PlanAction, action.id)
    assert (handed.owner_user_id, handed.owner_organisation_id) == (None, scenario.orgs["POL"].id)
    moved = db.get(User, pol.id)
    assert scenario.case.id not in set(db.exec(sharing.visible_case_ids(moved)))
    (row,) = [r for r in audit_rows(db, object_type="case_circle") if "andere organisatie" in r.summary]
    assert f"gebruiker {pol.id}" in row.summary and pol.email not in row.summary
