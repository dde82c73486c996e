"""The plan's services: actions, entries, status changes and safety scores."""

from datetime import date

import pytest
from sqlmodel import select

from mda.auth.services import ServiceError
from mda.core.timeutil import utcnow
from mda.safety_plan import services
from mda.safety_plan.models import ActionStatusChange, PlanAction, SafetyPlan, SafetyScore
from tests.conftest import audit_rows, working_day

FUTURE = working_day(14)


def test_add_action_stores_owner_deadline_and_audits(db, scenario, ctx_of):
    """Does add_action store an action with its owner's organisation, bump the plan revision and audit it?"""
    s = scenario
    action = services.add_action(db, s.users["pol"], ctx_of(s.case), description="Huisbezoek afleggen",
                                 deadline=FUTURE, owner_user_id=s.users["lt"].id)
    db.commit()
    assert action.owner_organisation_id == s.orgs["LT"].id
    assert action.source_organisation_id == s.orgs["POL"].id
    assert action.status == "open" and action.category == "veiligheidsplan"
    assert db.exec(select(SafetyPlan).where(SafetyPlan.case_id == s.case.id)).one().revision == 1
    rows = audit_rows(db, object_type="plan_action", action="create")
    assert len(rows) == 1 and "Huisbezoek" not in rows[0].summary


def test_an_action_s_owner_must_be_able_to_open_the_case(db, scenario, ctx_of, make_user):
    """Is a professional of a circle organisation who is not named in the circle (the case is closed to them)
    refused as an action's owner, with a Dutch message and nothing stored, while the organisation's team lead, who
    may open the case, is accepted?"""
    s = scenario
    colleague = make_user(roles=("professional",), org=s.orgs["LT"])
    with pytest.raises(ServiceError, match="staat niet in de kring van deze casus"):
        services.add_action(db, s.users["pol"], ctx_of(s.case), description="Huisbezoek", deadline=FUTURE,
                            owner_user_id=colleague.id)
    db.rollback()
    assert db.exec(select(PlanAction).where(PlanAction.case_id == s.case.id)).all() == []
    made = services.add_action(db, s.users["pol"], ctx_of(s.case), description="Huisbezoek", deadline=FUTURE,
                               owner_user_id=s.users["lt_lead"].id)
    assert made.owner_user_id == s.users["lt_lead"].id


@pytest.mark.parametrize("kwargs, message", [
    (dict(description="  ", deadline=FUTURE, owner_is_family=True), "beschrijving"),
    (dict(description="X", deadline=FUTURE), "Kies een eigenaar"),
    (dict(description="X", deadline=FUTURE, owner_is_family=True, owner_organisation_id=-1), "één eigenaar"),
    (dict(description="X", deadline=date(2020, 1, 1), owner_is_family=True), "vóór vandaag"),
    (dict(description="X", deadline=FUTURE, owner_is_family=True, category="bestaat-niet"), "Onbekende categorie"),
])
def test_add_action_refuses_bad_input_in_dutch_and_stores_nothing(db, scenario, ctx_of, kwargs, message):
    """Is bad input for an action refused with a Dutch message, with nothing stored?"""
    with pytest.raises(ServiceError, match=message):
        services.add_action(db, scenario.users["pol"], ctx_of(scenario.case), **kwargs)
    db.rollback()
    assert db.exec(select(PlanAction)).all() == []


def test_add_action_refuses_an_owner_outside_the_circle(db, scenario, ctx_of):
    """Is an owner whose organisation is not in the circle refused (and the OM organisation too)?"""
    s = scenario
    with pytest.raises(ServiceError, match="niet bij een organisatie in de kring"):
        services.add_action(db, s.users["pol"], ctx_of(s.case), description="X", deadline=FUTURE,
                            owner_user_id=s.users["om"].id)
    with pytest.raises(ServiceError, match="hoort niet bij de kring"):
        services.add_action(db, s.users["pol"], ctx_of(s.case), description="X", deadline=FUTURE,
                            owner_organisation_id=s.orgs["OM"].id)


def test_a_past_deadline_is_stored_once_confirmed(db, scenario, ctx_of):
    """Is a deadline before today stored when the user confirmed it?"""
    action = services.add_action(db, scenario.users["pol"], ctx_of(scenario.case), description="Terugblik",
                                 deadline=date(2020, 1, 1), owner_is_family=True, allow_past_deadline=True)
    assert action.id is not None and action.owner_is_family


def test_status_change_needs_a_comment_and_a_reason_when_failed(db, scenario, ctx_of):
    """Does "niet gelukt" require one of the two reasons and a comment, and is each change kept with its comment?"""
    s = scenario
    ctx = ctx_of(s.case)
    action = services.add_action(db, s.users["pol"], ctx, description="X", deadline=FUTURE, owner_is_family=True)
    revision = services.get_plan(db, ctx).revision
    with pytest.raises(ServiceError, match="waarom de actie niet is gelukt"):
        services.change_status(db, s.users["lt"], ctx, action, status="niet_gelukt", comment="Lukte niet")
    with pytest.raises(ServiceError, match="toelichting"):
        services.change_status(db, s.users["lt"], ctx, action, status="bezig", comment=" ")
    services.change_status(db, s.users["lt"], ctx, action, status="niet_gelukt", comment="Verhuisd",
                           failure_reason="omstandigheden")
    db.commit()
    change = db.exec(select(ActionStatusChange)).one()
    assert (change.old_status, change.new_status, change.comment) == ("open", "niet_gelukt", "Verhuisd")
    assert action.failure_reason_name == "Niet mogelijk, omstandigheden gewijzigd"
    assert services.get_plan(db, ctx).revision == revision  # follow-up is not a change of the agreed plan


def test_record_scores_replaces_a_round_and_refuses_bad_scores(db, scenario, ctx_of):
    """Are scores kept per organisation and round (a second call replaces), and are out-of-range scores refused?"""
    s = scenario
    ctx = ctx_of(s.case)
    services.record_scores(db, s.users["coordinator"], ctx, meeting_id=None,
                           scores={s.orgs["POL"].id: 4, s.orgs["LT"].id: 6}, round_key="overleg-1")
    services.record_scores(db, s.users["coordinator"], ctx, meeting_id=None,
                           scores={s.orgs["POL"].id: 5}, round_key="overleg-1")
    db.commit()
    assert sorted((r.organisation_id, r.score) for r in db.exec(select(SafetyScore))) == sorted(
        [(s.orgs["POL"].id, 5), (s.orgs["LT"].id, 6)])
    for bad in ({s.orgs["POL"].id: 11}, {s.orgs["POL"].id: -1}, {s.orgs["OM"].id: 5}, {}):
        with pytest.raises(ServiceError):
            services.record_scores(db, s.users["coordinator"], ctx, meeting_id=None, scores=bad, round_key="r2")


def test_entries_need_text_and_a_known_section(db, scenario, ctx_of):
    """Is an entry without text, or in an unknown section, refused; and a good one stored with its party?"""
    s = scenario
    ctx = ctx_of(s.case)
    with pytest.raises(ServiceError, match="Vul de tekst in"):
        services.add_entry(db, s.users["vt"], ctx, section="voorwaarde", text="")
    with pytest.raises(ServiceError, match="onderdeel"):
        services.add_entry(db, s.users["vt"], ctx, section="onzin", text="X")
    entry = services.add_entry(db, s.users["vt"], ctx, section="voorwaarde",
                               text="Geen geweld waar de kinderen bij zijn",
                               party_organisation_id=s.orgs["VT"].id)
    assert entry.section_name == "Veiligheidsvoorwaarden" and entry.created_at <= utcnow()


def test_every_change_path_asks_whether_the_entry_is_locked(db, scenario, ctx_of, monkeypatch):
    """When an entry is locked (as an escalation will do), is every change to it refused?"""
    s = scenario
    ctx = ctx_of(s.case)
    entry = services.add_entry(db, s.users["pol"], ctx, section="zorg", text="Zorg")
    action = services.add_action(db, s.users["pol"], ctx, description="X", deadline=FUTURE, owner_is_family=True)
    monkeypatch.setattr(services, "entry_is_locked", lambda _db, _e: True)
    attempts = [
        lambda: services.update_entry(db, s.users["pol"], ctx, entry, text="Anders"),
        lambda: services.remove_entry(db, s.users["pol"], ctx, entry),
        lambda: services.update_action(db, s.users["pol"], ctx, action, description="Y", deadline=FUTURE,
                                       owner_is_family=True),
        lambda: services.remove_action(db, s.users["pol"], ctx, action),
        lambda: services.change_status(db, s.users["pol"], ctx, action, status="bezig", comment="Gestart"),
    ]
    for attempt in attempts:
        with pytest.raises(ServiceError, match="vergrendeld"):
            attempt()


def test_a_section_holds_a_bounded_number_of_lines(db, scenario, ctx_of, monkeypatch):
    """Is a line beyond the section's maximum refused in Dutch, while a removed line frees a place?"""
    s = scenario
    ctx = ctx_of(s.case)
    monkeypatch.setattr(services, "MAX_ENTRIES_PER_SECTION", 3)
    entries = [services.add_entry(db, s.users["vt"], ctx, section="zorg", text=f"Zorg {n}") for n in range(3)]
    with pytest.raises(ServiceError, match="al 3 regels"):
        services.add_entry(db, s.users["vt"], ctx, section="zorg", text="Zorg 4")
    services.add_entry(db, s.users["vt"], ctx, section="doel", text="Een ander onderdeel telt apart")
    services.remove_entry(db, s.users["vt"], ctx, entries[0])
    assert services.add_entry(db, s.users["vt"], ctx, section="zorg", text="Zorg 4").position == 3
