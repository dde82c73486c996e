"""Team leads hear of a proposal that waits for them: one e-mail each after the commit, and a start-page panel."""

from mda.core import sharing
from mda.core.mail import outbox_messages
from mda.safety_plan import services, versions
from tests.conftest import form_post, text_of, working_day

FUTURE = working_day(30)


def _fill(db, s):
    ctx = sharing.load_context(db, s.case)
    services.add_entry(db, s.users["vt"], ctx, section="voorwaarde", text="Geen geweld")
    services.add_action(db, s.users["pol"], ctx, description="Huisbezoek", deadline=FUTURE,
                        owner_user_id=s.users["lt"].id)
    db.commit()


def test_each_team_lead_of_the_circle_gets_one_mail_without_names_in_the_subject(app, client, auth, db, scenario,
                                                                                make_user):
    """When the coordinator proposes, does every team lead of a circle organisation get one e-mail (subject with
    the case reference, no names), and nobody else?"""
    s = scenario
    pol_lead = make_user(roles=("team_lead",), org=s.orgs["POL"])
    _fill(db, s)
    auth.login(s.users["coordinator"])
    resp = form_post(app, client, f"/casussen/{s.case.id}/plan/voorstellen")
    assert resp.status_code == 302
    messages = [m for _n, m in outbox_messages(app)]
    assert sorted(m["To"] for m in messages) == sorted([s.users["lt_lead"].email, pol_lead.email])
    for message in messages:
        assert s.case.reference in message["Subject"] and "wacht op uw goedkeuring" in message["Subject"]
        assert s.users["coordinator"].name not in message["Subject"] and pol_lead.name not in message["Subject"]
        assert "Geen geweld" not in message.get_content()


def test_a_refused_proposal_mails_nobody(app, client, auth, db, scenario):
    """When proposing is refused (an empty plan), does no e-mail leave?"""
    s = scenario
    auth.login(s.users["coordinator"])
    resp = form_post(app, client, f"/casussen/{s.case.id}/plan/voorstellen")
    assert resp.status_code == 422
    assert outbox_messages(app) == []


def test_the_start_page_shows_the_waiting_proposal_until_my_organisation_approved(app, client, auth, db, scenario,
                                                                                 make_user):
    """Does a team lead see "Wacht op uw goedkeuring" with the case on the start page, and no longer once their
    organisation approved? Does a professional without the role never see it?"""
    s = scenario
    pol_lead = make_user(roles=("team_lead",), org=s.orgs["POL"])
    _fill(db, s)
    ctx = sharing.load_context(db, s.case)
    version = versions.propose(db, s.users["coordinator"], ctx)
    db.commit()
    auth.login(s.users["lt_lead"])
    page = text_of(client.get("/").text)
    assert "Wacht op uw goedkeuring" in page and f"Casus {s.case.reference}: voorstel {version.number}" in page
    form_post(app, client, f"/casussen/{s.case.id}/plan/versies/{version.id}/vaststellen",
              {"revision": version.revision, "kind": "teamleiders"})
    assert "Wacht op uw goedkeuring" not in text_of(client.get("/").text)
    auth.logout()
    auth.login(pol_lead)
    assert "Wacht op uw goedkeuring" in text_of(client.get("/").text)
    auth.logout()
    auth.login(s.users["pol"])
    assert "Wacht op uw goedkeuring" not in text_of(client.get("/").text)


def test_a_stale_proposal_no_longer_waits(app, client, auth, db, scenario):
    """When the plan changed after the proposal (it can no longer be approved), does the panel drop it?"""
    s = scenario
    _fill(db, s)
    ctx = sharing.load_context(db, s.case)
    versions.propose(db, s.users["coordinator"], ctx)
    db.commit()
    auth.login(s.users["lt_lead"])
    assert "Wacht op uw goedkeuring" in text_of(client.get("/").text)
    services.add_entry(db, s.users["pol"], sharing.load_context(db, s.case), section="zorg", text="Nieuwe zorg")
    db.commit()
    assert "Wacht op uw goedkeuring" not in text_of(client.get("/").text)
