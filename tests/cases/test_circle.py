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
