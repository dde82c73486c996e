"""Ids of another case sent under a case one may open: 404, with a denied audit row naming only type and id."""

def test_withdrawing_another_case_s_consent_through_ones_own_case_is_a_denied_404(app, client, db, auth, scenario,
                                                                                  make_case, make_consent):
    """Is a consent id of case A, withdrawn under a case the OM professional coordinates, answered 404 with a
    denied audit row, and the consent left as it was?"""
    from tests.cases.conftest import api_post
    from tests.conftest import audit_rows

    om = scenario.users["om"]
    own = make_case(om)
    consent = make_consent(scenario.case, scenario.persons["victim"], [scenario.orgs["GGZ"]], ["gezondheid"],
                           scenario.users["coordinator"])
    auth.login(om)
    resp = api_post(app, client, f"/api/v1/cases/{own.id}/consents/{consent.id}/withdraw", {"reason": "test probe"})
    assert resp.status_code == 404
    (row,) = audit_rows(db, action="denied", object_type="consent")
    assert row.object_id == str(consent.id) and row.user_id == om.id and row.case_id == own.id
    db.expire_all()
    assert db.get(type(consent), consent.id).withdrawn_at is None
