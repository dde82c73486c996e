"""Versions of the plan: propose, approve (conference or team leads), frozen, stale approvals, comparison."""


import pytest
from sqlmodel import select

from mda.auth.services import ServiceError
from mda.core import sharing
from mda.core.timeutil import format_local
from mda.organisations.models import Organisation
from mda.safety_plan import services, versions
from mda.safety_plan.models import FrozenVersionError, PlanVersion
from tests.conftest import form_post, text_of, working_day

FUTURE = working_day(30)


@pytest.fixture
def proposed(db, scenario):
    """A plan with a condition and an action, proposed by the coordinator."""
    s = scenario
    ctx = sharing.load_context(db, s.case)
    services.add_entry(db, s.users["vt"], ctx, section="voorwaarde", text="Geen geweld")
    services.add_action(db, s.users["pol"], ctx, description="Huisbezoek", deadline=FUTURE,
                        owner_user_id=s.users["lt"].id)
    version = versions.propose(db, s.users["coordinator"], ctx)
    db.commit()
    return s, version


def test_team_lead_approval_freezes_and_numbers_the_version(db, proposed):
    """When the only circle team lead approves, is the version frozen as version 1?"""
    s, version = proposed
    ctx = sharing.load_context(db, s.case)
    versions.approve(db, s.users["lt_lead"], ctx, version, expected_revision=version.revision, kind="teamleiders")
    db.commit()
    assert (version.status, version.number, version.approval_kind) == ("vastgesteld", 1, "teamleiders")


def test_every_team_lead_organisation_must_approve(db, proposed, make_user):
    """With team leads at two circle organisations, does the version wait for the second approval?"""
    s, version = proposed
    make_user(roles=("team_lead",), org=s.orgs["POL"])
    ctx = sharing.load_context(db, s.case)
    versions.approve(db, s.users["lt_lead"], ctx, version, expected_revision=version.revision, kind="teamleiders")
    assert version.status == "voorgesteld" and version.approved_at is None
    with pytest.raises(ServiceError, match="al goedgekeurd"):
        versions.approve(db, s.users["lt_lead"], ctx, version, expected_revision=version.revision, kind="teamleiders")


def test_a_frozen_version_cannot_change(db, proposed):
    """Is every change to an approved version refused: approving again, or altering its snapshot or number?"""
    s, version = proposed
    ctx = sharing.load_context(db, s.case)
    versions.approve(db, s.users["coordinator"], ctx, version, expected_revision=version.revision, kind="overleg")
    db.commit()
    with pytest.raises(ServiceError, match="al vastgesteld"):
        versions.approve(db, s.users["coordinator"], ctx, version, expected_revision=version.revision, kind="overleg")
    for field, value in (("snapshot", '{"entries": []}'), ("number", 7), ("status", "vervallen")):
        setattr(version, field, value)
        with pytest.raises(FrozenVersionError):
            db.flush()
        db.rollback()
        db.refresh(version)
    assert version.number == 1 and version.status == "vastgesteld"


def test_a_proposal_keeps_its_number_once_approved(app, client, auth, db, proposed, make_case):
    """After a lapsed "Voorstel 1", is "Voorstel 2" shown as "Versie 2" once approved (not renumbered, not its id)?"""
    s, first = proposed
    other = make_case(s.users["coordinator"])  # another plan's proposal in between: ids are not numbers
    other_ctx = sharing.load_context(db, other)
    services.add_entry(db, s.users["coordinator"], other_ctx, section="doel", text="Elders")
    versions.propose(db, s.users["coordinator"], other_ctx)
    ctx = sharing.load_context(db, s.case)
    services.add_entry(db, s.users["vt"], ctx, section="doel", text="Rust in huis")
    second = versions.propose(db, s.users["coordinator"], ctx)
    db.commit()
    assert (first.status, first.number, second.number) == ("vervallen", 1, 2)
    auth.login(s.users["coordinator"])
    assert "Voorstel 2 ligt ter vaststelling" in text_of(client.get(f"/casussen/{s.case.id}/plan").text)
    versions.approve(db, s.users["coordinator"], ctx, second, expected_revision=second.revision, kind="overleg")
    db.commit()
    assert second.number == 2
    listing = text_of(client.get(f"/casussen/{s.case.id}/plan/versies").text)
    assert "Versie 2" in listing and "Voorstel 1" in listing and "Versie 1" not in listing


def test_a_stale_approval_is_refused(db, proposed):
    """When someone changed the plan after the proposal, is approving refused and nothing approved?"""
    s, version = proposed
    ctx = sharing.load_context(db, s.case)
    services.add_entry(db, s.users["pol"], ctx, section="zorg", text="Nieuwe zorg")
    with pytest.raises(ServiceError, match="gewijzigd sinds dit voorstel"):
        versions.approve(db, s.users["lt_lead"], ctx, version, expected_revision=version.revision, kind="teamleiders")
    assert version.status == "voorgesteld" and versions.approvals(db, version) == []


def test_an_approval_of_an_outdated_page_is_refused(app, client, auth, db, proposed):
    """Does a team lead who looked at another revision (the form's etag) get a Dutch 422, and nothing approved?"""
    s, version = proposed
    auth.login(s.users["lt_lead"])
    resp = form_post(app, client, f"/casussen/{s.case.id}/plan/versies/{version.id}/vaststellen",
                     {"revision": version.revision - 1, "kind": "teamleiders"})
    assert resp.status_code == 422 and "gewijzigd sinds dit voorstel" in text_of(resp.text)
    db.expire_all()
    assert db.get(PlanVersion, version.id).status == "voorgesteld"
    ok = form_post(app, client, f"/casussen/{s.case.id}/plan/versies/{version.id}/vaststellen",
                   {"revision": version.revision, "kind": "teamleiders"})
    assert ok.status_code == 302
    db.expire_all()
    assert db.get(PlanVersion, version.id).number == 1


def test_comparison_shows_added_changed_and_removed_entries(app, client, auth, db, proposed):
    """Between two versions, are added, changed and removed entries and actions each reported (page too)?"""
    s, first = proposed
    ctx = sharing.load_context(db, s.case)
    versions.approve(db, s.users["coordinator"], ctx, first, expected_revision=first.revision, kind="overleg")
    condition = db.exec(select(services.PlanEntry).where(services.PlanEntry.section == "voorwaarde")).one()
    action = db.exec(select(services.PlanAction)).one()
    services.update_entry(db, s.users["vt"], ctx, condition, text="Geen geweld, ook niet verbaal")
    services.remove_action(db, s.users["pol"], ctx, action)
    services.add_entry(db, s.users["lt"], ctx, section="doel", text="Kinderen gaan weer naar school")
    second = versions.propose(db, s.users["coordinator"], ctx)
    versions.approve(db, s.users["coordinator"], ctx, second, expected_revision=second.revision, kind="overleg")
    db.commit()
    changes = versions.compare(versions.load_snapshot(first), versions.load_snapshot(second))
    assert {(c.kind, c.what) for c in changes} == {("toegevoegd", "regel"), ("gewijzigd", "regel"),
                                                   ("verwijderd", "actie")}
    changed = next(c for c in changes if c.kind == "gewijzigd")
    assert changed.fields == ("text",) and second.number == 2
    auth.login(s.users["pol"])
    page = text_of(client.get(f"/casussen/{s.case.id}/plan/versies/{second.id}").text)
    assert "Regel" in page and "toegevoegd" in page and "gewijzigd" in page and "verwijderd" in page
    assert "Geen geweld, ook niet verbaal" in page
    assert "Versie 2" in text_of(client.get(f"/casussen/{s.case.id}/plan/versies").text)


def test_comparison_withholds_what_the_viewer_may_not_see(app, client, auth, db, scenario):
    """Does the comparison page show a GGZ entry only as a placeholder to the police?"""
    s = scenario
    ctx = sharing.load_context(db, s.case)
    services.add_entry(db, s.users["ggz"], ctx, section="doel", text="GEHEIM-GGZ behandeling", category="gezondheid")
    version = versions.propose(db, s.users["coordinator"], ctx)
    db.commit()
    auth.login(s.users["pol"])
    page = client.get(f"/casussen/{s.case.id}/plan/versies/{version.id}").text
    assert "GEHEIM-GGZ" not in page and "Niet gedeeld" in page


def test_only_the_coordinator_proposes_and_an_empty_plan_is_not_proposed(db, scenario):
    """Is a proposal by a partner refused, and a proposal of an empty plan too?"""
    s = scenario
    ctx = sharing.load_context(db, s.case)
    with pytest.raises(ServiceError, match="procesregisseur"):
        versions.propose(db, s.users["pol"], ctx)
    with pytest.raises(ServiceError, match="leeg"):
        versions.propose(db, s.users["coordinator"], ctx)


def test_a_long_comparison_is_paged_and_only_the_shown_page_is_audited(app, client, auth, db, scenario):
    """With 60 changed lines, does the comparison show 50 on page 1 and the rest on page 2, auditing each page's?"""
    from tests.conftest import audit_rows

    s = scenario
    ctx = sharing.load_context(db, s.case)
    for n in range(60):
        services.add_entry(db, s.users["vt"], ctx, section="signaal", text=f"Signaal nummer {n:02d}")
    version = versions.propose(db, s.users["coordinator"], ctx)
    db.commit()
    auth.login(s.users["pol"])
    first = text_of(client.get(f"/casussen/{s.case.id}/plan/versies/{version.id}").text)
    seen = ", ".join(r.summary for r in audit_rows(db, object_type="safety_plan") if "versievergelijking" in r.summary)
    second = text_of(client.get(f"/casussen/{s.case.id}/plan/versies/{version.id}?page=2").text)
    assert first.count("Signaal nummer") == 50 and second.count("Signaal nummer") == 10
    assert "Pagina 1 van 2" in first and "60 in totaal" in first
    entry_ids = sorted(e.id for e in db.exec(select(services.PlanEntry)))
    named = {int(part) for part in __import__("re").findall(r"regel:(\d+)", seen)}
    assert len(named) == 50 and named < set(entry_ids), "the first page's 50 lines are on record, no more, none cut"


def test_the_approve_button_gives_way_once_my_organisation_approved(app, client, auth, db, proposed, make_user):
    """After a team lead approved, is their button gone (with a line saying so) while the other lead keeps it?"""
    s, version = proposed
    pol_lead = make_user(roles=("team_lead",), org=s.orgs["POL"])
    db.commit()
    button = "Goedkeuren namens mijn organisatie"
    auth.login(s.users["lt_lead"])
    assert button in client.get(f"/casussen/{s.case.id}/plan").text
    ok = form_post(app, client, f"/casussen/{s.case.id}/plan/versies/{version.id}/vaststellen",
                   {"revision": version.revision, "kind": "teamleiders"})
    assert ok.status_code == 302
    page = text_of(client.get(f"/casussen/{s.case.id}/plan").text)
    assert button not in page and "Uw organisatie heeft dit voorstel goedgekeurd" in page
    auth.logout()
    auth.login(pol_lead)
    page = text_of(client.get(f"/casussen/{s.case.id}/plan").text)
    assert button in page and s.users["lt_lead"].name in page


def test_the_versions_table_lists_every_approver_with_organisation_and_time(app, client, auth, db, proposed,
                                                                            make_user):
    """When two team leads approved, does the versions table name both, each with organisation and time?"""
    s, version = proposed
    pol_lead = make_user(roles=("team_lead",), org=s.orgs["POL"])
    ctx = sharing.load_context(db, s.case)
    versions.approve(db, s.users["lt_lead"], ctx, version, expected_revision=version.revision, kind="teamleiders")
    versions.approve(db, pol_lead, ctx, version, expected_revision=version.revision, kind="teamleiders")
    db.commit()
    assert version.status == "vastgesteld"
    auth.login(s.users["coordinator"])
    listing = text_of(client.get(f"/casussen/{s.case.id}/plan/versies").text)
    lt_org = db.get(Organisation, s.users["lt_lead"].organisation_id).name
    for name, org in ((s.users["lt_lead"].name, lt_org), (pol_lead.name, s.orgs["POL"].name)):
        assert f"{name} ({org}), {format_local(version.approved_at)}" in listing, listing[-600:]


def test_proposing_an_unchanged_plan_again_keeps_the_open_proposal_and_its_approvals(app, client, auth, db,
                                                                                      proposed, make_user):
    """When the coordinator clicks "voorleggen" again without a change, is it refused in Dutch (422, not a new
    proposal) while the open proposal keeps its team lead's approval, and does a changed plan still lapse it?"""
    s, version = proposed
    make_user(roles=("team_lead",), org=s.orgs["POL"])  # a second lead, so one approval leaves it open
    ctx = sharing.load_context(db, s.case)
    versions.approve(db, s.users["lt_lead"], ctx, version, expected_revision=version.revision, kind="teamleiders")
    db.commit()
    with pytest.raises(ServiceError, match=rf"al ter vaststelling \(voorstel {version.number}\)"):
        versions.propose(db, s.users["coordinator"], ctx)
    db.rollback()
    auth.login(s.users["coordinator"])
    resp = form_post(app, client, f"/casussen/{s.case.id}/plan/voorstellen", {})
    assert resp.status_code == 422
    assert f"Dit plan ligt al ter vaststelling (voorstel {version.number})" in text_of(resp.text)
    db.expire_all()
    assert db.exec(select(PlanVersion).where(PlanVersion.case_id == s.case.id)).all() == [version]
    assert version.status == "voorgesteld" and len(versions.approvals(db, version)) == 1
    services.add_entry(db, s.users["vt"], ctx, section="doel", text="Rust in huis")
    newer = versions.propose(db, s.users["coordinator"], ctx)
    assert (version.status, newer.number) == ("vervallen", version.number + 1)
