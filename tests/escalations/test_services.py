"""Escalation services: raising, positions, who decides, the decision and its plan change, locks, bad input."""

import pytest
from sqlmodel import select

from mda.auth.services import ServiceError
from mda.escalations import access, services
from mda.escalations.models import Escalation, EscalationStep, Notification
from mda.safety_plan import services as plan
from mda.safety_plan.models import PlanEntry
from tests.conftest import audit_rows, working_day

pytestmark = pytest.mark.usefixtures("in_app")


def test_raising_without_a_position_is_refused_and_nothing_is_stored(db, ladder_people, condition, ctx_of):
    """Is an escalation without a position refused with a Dutch message, leaving nothing behind?"""
    s = ladder_people
    with pytest.raises(ServiceError, match="standpunt"):
        services.raise_escalation(db, s.users["lt"], ctx_of(s.case), subject_kind="plan_entry",
                                  subject_id=condition.id, subject_text="voorwaarde", urgency="regulier",
                                  other_organisation_id=s.orgs["VT"].id, position="  ")
    db.rollback()
    assert db.exec(select(Escalation)).all() == []


@pytest.mark.parametrize("field, value, message", [
    ("urgency", "heel erg", "urgentie"),
    ("other_organisation_id", None, "organisatie uit de kring"),
    ("subject_kind", "iets", "Kies waarover"),
    ("subject_id", 999999, "onderdeel van het veiligheidsplan"),
])
def test_raising_with_bad_input_names_the_problem(db, ladder_people, condition, ctx_of, field, value, message):
    """Is each kind of bad input refused with a message that names it?"""
    s = ladder_people
    args = dict(subject_kind="plan_entry", subject_id=condition.id, subject_text="voorwaarde", urgency="regulier",
                other_organisation_id=s.orgs["VT"].id, position="Standpunt")
    args[field] = value
    with pytest.raises(ServiceError, match=message):
        services.raise_escalation(db, s.users["lt"], ctx_of(s.case), **args)


def test_raising_on_a_plan_line_the_raiser_cannot_see_is_refused_and_locks_nothing(db, ladder_people, ctx_of):
    """Can a circle member escalate (and so lock) a GGZ health line of the plan that the engine does not let them
    see? Refused in the words used for a line that does not exist, nothing stored, the line not locked; GGZ itself
    (the source) may raise on it."""
    s = ladder_people
    entry = plan.add_entry(db, s.users["ggz"], ctx_of(s.case), section="doel", text="GEHEIM-GGZ traumabehandeling",
                           category="gezondheid")
    db.commit()
    args = dict(subject_kind="plan_entry", subject_id=entry.id, subject_text="doel", urgency="regulier",
                other_organisation_id=s.orgs["VT"].id, position="Standpunt")
    with pytest.raises(ServiceError, match="Kies het onderdeel van het veiligheidsplan van deze casus"):
        services.raise_escalation(db, s.users["lt"], ctx_of(s.case), **args)
    db.rollback()
    assert db.exec(select(Escalation)).all() == []
    assert not plan.entry_is_locked(db, db.get(PlanEntry, entry.id))
    services.raise_escalation(db, s.users["ggz"], ctx_of(s.case), **args)
    db.commit()
    assert plan.entry_is_locked(db, db.get(PlanEntry, entry.id))


def test_a_second_escalation_on_the_same_subject_is_refused(db, raise_on, condition, ladder_people, ctx_of):
    """Can a subject already in escalation be escalated again (two parallel ladders)?"""
    raise_on(condition)
    with pytest.raises(ServiceError, match="loopt al een escalatie"):
        raise_on(condition, user_key="pol")


def test_the_other_party_is_notified_pseudonymously(db, app, raise_on, condition, ladder_people):
    """Are VT's professional and the level-1 deciders notified in the app and by e-mail, without content?"""
    from mda.core.mail import outbox_messages

    esc = raise_on(condition)
    s = ladder_people
    notified = {n.user_id for n in db.exec(select(Notification).where(Notification.escalation_id == esc.id))}
    assert {s.users["vt"].id, s.users["vt_lead"].id, s.users["lt_lead"].id} <= notified
    assert s.users["lt"].id not in notified and s.users["vt_manager"].id not in notified
    messages = [m for _n, m in outbox_messages(app)]
    assert messages
    for m in messages:
        text = m["Subject"] + m.get_content()
        assert "GEHEIM" not in text and "Vader" not in text and s.case.reference in text


def test_the_disputed_entry_is_locked_while_open_and_released_by_the_decision(db, raise_on, condition,
                                                                              ladder_people, ctx_of):
    """Can neither party change the disputed condition while the escalation is open, and can they after it?"""
    s = ladder_people
    esc = raise_on(condition)
    entry = db.get(PlanEntry, condition.id)
    assert plan.entry_is_locked(db, entry)
    for who in ("vt", "coordinator"):
        with pytest.raises(ServiceError, match="vergrendeld"):
            plan.update_entry(db, s.users[who], ctx_of(s.case), entry, text="Anders")
    services.add_position(db, s.users["vt"], ctx_of(s.case), db.get(Escalation, esc.id),
                          text="GEHEIM-STANDPUNT-VT Geen contact tot het onderzoek klaar is")
    services.decide(db, s.users["vt_lead"], ctx_of(s.case), db.get(Escalation, esc.id),
                    decision="De voorwaarde blijft staan", reasons="Onderzoek loopt nog")
    db.commit()
    entry = db.get(PlanEntry, condition.id)
    assert not plan.entry_is_locked(db, entry)
    plan.update_entry(db, s.users["vt"], ctx_of(s.case), entry, text="Vader heeft alleen begeleid contact")
    db.commit()


def test_withdrawal_releases_the_lock(db, raise_on, condition, ladder_people, ctx_of):
    """Does withdrawing the escalation release the disputed entry?"""
    s = ladder_people
    esc = raise_on(condition)
    services.withdraw(db, s.users["lt"], ctx_of(s.case), esc, reason="Opgelost in overleg")
    db.commit()
    assert not plan.entry_is_locked(db, db.get(PlanEntry, condition.id))
    assert db.get(Escalation, esc.id).status == "ingetrokken"


@pytest.mark.parametrize("who", ["lt", "vt", "coordinator", "vt_manager", "bestuurder", "pol"])
def test_only_deciders_of_the_current_level_decide(db, raise_on, condition, ladder_people, ctx_of, who):
    """At level 1, are professionals, the coordinator, managers and the bestuurder refused as deciders?"""
    s = ladder_people
    esc = raise_on(condition)
    with pytest.raises(ServiceError, match="beslisser op niveau 1"):
        services.decide(db, s.users[who], ctx_of(s.case), esc, decision="Besluit", reasons="Redenen")


def test_after_moving_up_the_level_2_managers_decide_and_team_leads_no_longer(db, raise_on, condition,
                                                                               ladder_people, ctx_of):
    """After 'naar volgend niveau', do the managers of the parties decide (and not team leads or other managers)?"""
    s = ladder_people
    esc = raise_on(condition)
    services.move_up(db, s.users["lt"], ctx_of(s.case), esc, reason="Team leads komen er niet uit")
    db.commit()
    esc = db.get(Escalation, esc.id)
    ctx = ctx_of(s.case)
    assert esc.level == 2
    assert access.is_decider(s.users["vt_manager"], ctx, esc) and access.is_decider(s.users["lt_manager"], ctx, esc)
    assert not access.is_decider(s.users["vt_lead"], ctx, esc)
    assert not access.is_decider(s.users["om_manager"], ctx, esc)  # OM is not in the circle
    kinds = [st.kind for st in db.exec(select(EscalationStep).where(EscalationStep.escalation_id == esc.id))]
    assert "meeting_proposed" in kinds


def test_moving_up_past_the_top_level_is_refused(db, raise_on, condition, ladder_people, ctx_of):
    """At level 3, is 'naar volgend niveau' refused with a clear message?"""
    s = ladder_people
    esc = raise_on(condition)
    for _ in range(2):
        services.move_up(db, s.users["lt"], ctx_of(s.case), db.get(Escalation, esc.id), reason="Hoger")
        db.commit()
    with pytest.raises(ServiceError, match="hoogste niveau"):
        services.move_up(db, s.users["lt"], ctx_of(s.case), db.get(Escalation, esc.id), reason="Nog hoger")
    assert access.is_decider(s.users["bestuurder"], ctx_of(s.case), db.get(Escalation, esc.id))


def test_deciding_without_reasons_is_refused(db, raise_on, condition, ladder_people, ctx_of):
    """Is a decision without reasons refused, with the escalation still open?"""
    s = ladder_people
    esc = raise_on(condition)
    with pytest.raises(ServiceError, match="motivering"):
        services.decide(db, s.users["vt_lead"], ctx_of(s.case), esc, decision="Besluit", reasons="")
    db.rollback()
    assert db.get(Escalation, esc.id).is_open


def test_a_second_decider_with_the_same_version_is_refused(db, raise_on, condition, ladder_people, ctx_of):
    """Two deciders at once (both read version 1): is the second decision refused, the first kept?"""
    s = ladder_people
    esc = raise_on(condition)
    version = esc.version
    services.decide(db, s.users["vt_lead"], ctx_of(s.case), esc, decision="Eerste besluit", reasons="Redenen",
                    expected_version=version)
    db.commit()
    # the second decider's screen still shows the escalation as open (same version)
    stale = db.get(Escalation, esc.id)
    with pytest.raises(ServiceError, match="intussen"):
        services._bump(db, stale, version, status="besluit", decision="Tweede besluit")
    db.rollback()
    assert db.get(Escalation, esc.id).decision == "Eerste besluit"


def test_the_decision_makes_its_plan_change_in_the_same_step(db, raise_on, condition, ladder_people, ctx_of):
    """Does 'wijzigen' change the disputed condition through the plan services and link to it?"""
    s = ladder_people
    esc = raise_on(condition)
    services.decide(db, s.users["vt_lead"], ctx_of(s.case), esc, decision="Begeleid contact",
                    reasons="Afweging", consequence="wijzigen",
                    consequence_text="Vader heeft alleen begeleid contact met de kinderen")
    db.commit()
    esc = db.get(Escalation, esc.id)
    assert esc.plan_change_ref == f"plan_entry:{condition.id}"
    assert db.get(PlanEntry, condition.id).text.startswith("Vader heeft alleen begeleid")
    assert audit_rows(db, object_type="plan_entry", action="update")


def test_a_decider_of_the_other_organisation_carries_out_the_decision(db, raise_on, condition, ladder_people, ctx_of):
    """Can LT's team lead, deciding at level 1, change VT's disputed condition through the decision (doorzettingsmacht,
    where the plan page would refuse him), audited with the escalation's reference?"""
    s = ladder_people
    esc = raise_on(condition)
    services.decide(db, s.users["lt_lead"], ctx_of(s.case), esc, decision="Begeleid contact", reasons="Redenen",
                    consequence="wijzigen", consequence_text="Vader ziet de kinderen alleen onder begeleiding")
    db.commit()
    assert db.get(PlanEntry, condition.id).text == "Vader ziet de kinderen alleen onder begeleiding"
    (row,) = audit_rows(db, object_type="plan_entry", action="update")
    assert f"op grond van besluit escalatie E-{esc.id}" in row.summary and row.user_id == s.users["lt_lead"].id


def test_a_level_2_manager_removes_the_disputed_line(db, raise_on, condition, ladder_people, ctx_of):
    """After moving up, can VT's manager (a decider at level 2) take the disputed line out of the plan?"""
    s = ladder_people
    esc = raise_on(condition)
    services.move_up(db, s.users["lt"], ctx_of(s.case), esc, reason="Team leads komen er niet uit")
    db.commit()
    services.decide(db, s.users["lt_manager"], ctx_of(s.case), db.get(Escalation, esc.id), decision="Vervalt",
                    reasons="Redenen", consequence="verwijderen")
    db.commit()
    assert db.get(PlanEntry, condition.id).removed_at is not None


def test_a_refused_plan_change_refuses_the_decision(db, raise_on, condition, ladder_people, ctx_of):
    """When the plan services refuse the change (a text longer than a plan line may be), is nothing decided?"""
    s = ladder_people
    esc = raise_on(condition)
    with pytest.raises(ServiceError, match="hoogstens"):
        services.decide(db, s.users["lt_lead"], ctx_of(s.case), esc, decision="Anders", reasons="Redenen",
                        consequence="wijzigen", consequence_text="x" * 4001)
    db.rollback()
    assert db.get(Escalation, esc.id).is_open
    assert "GEHEIM-VOORWAARDE" in db.get(PlanEntry, condition.id).text


def test_both_parties_acknowledge_then_it_is_closed_and_closed_escalations_refuse_acts(db, raise_on, condition,
                                                                                       ladder_people, ctx_of):
    """After both parties acknowledge, is the escalation closed, and is acting on it refused?"""
    s = ladder_people
    esc = raise_on(condition)
    services.decide(db, s.users["vt_lead"], ctx_of(s.case), esc, decision="Besluit", reasons="Redenen",
                    consequence="aanvullen", consequence_text="Evaluatie over vier weken")
    db.commit()
    services.acknowledge(db, s.users["lt"], ctx_of(s.case), db.get(Escalation, esc.id))
    with pytest.raises(ServiceError, match="al bevestigd"):
        services.acknowledge(db, s.users["lt_lead"], ctx_of(s.case), db.get(Escalation, esc.id))
    services.acknowledge(db, s.users["vt"], ctx_of(s.case), db.get(Escalation, esc.id))
    db.commit()
    esc = db.get(Escalation, esc.id)
    assert esc.status == "afgesloten" and esc.plan_change_ref.startswith("plan_entry:")
    with pytest.raises(ServiceError, match="‘Afgesloten’"):
        services.move_up(db, s.users["lt"], ctx_of(s.case), esc, reason="Toch hoger")
    with pytest.raises(ServiceError, match="‘Afgesloten’"):
        services.withdraw(db, s.users["lt"], ctx_of(s.case), esc, reason="Toch niet")


def test_only_the_parties_add_positions(db, raise_on, condition, ladder_people, ctx_of):
    """Can the police professional (in the circle, not a party) add a position? Can VT add two?"""
    s = ladder_people
    esc = raise_on(condition)
    with pytest.raises(ServiceError, match="twee partijen"):
        services.add_position(db, s.users["pol"], ctx_of(s.case), esc, text="Ook een mening")
    services.add_position(db, s.users["vt"], ctx_of(s.case), esc, text="VT standpunt")
    db.commit()
    assert db.get(Escalation, esc.id).status == "in_behandeling"
    with pytest.raises(ServiceError, match="al een standpunt"):
        services.add_position(db, s.users["vt_lead"], ctx_of(s.case), db.get(Escalation, esc.id), text="Nog een")


def test_the_phase_cannot_change_while_an_escalation_disputes_it(db, raise_on, ladder_people, ctx_of):
    """While an escalation about the phase is open, is the coordinator's phase change refused, and allowed after?"""
    from mda.cases import services as cases

    s = ladder_people
    esc = raise_on()  # subject: the case's phase
    with pytest.raises(ServiceError, match=f"escalatie {esc.reference}"):
        cases.change_phase(db, s.users["coordinator"], ctx_of(s.case), "herstel")
    services.withdraw(db, s.users["lt"], ctx_of(s.case), db.get(Escalation, esc.id), reason="Afgestemd")
    db.commit()
    ctx = ctx_of(s.case)
    cases.change_phase(db, s.users["coordinator"], ctx, "herstel")
    db.commit()
    assert ctx.case.phase == "herstel"


def test_a_disputed_action_cannot_be_changed_or_followed_up_while_open(db, ladder_people, ctx_of):
    """Is an action in escalation locked for edits and status changes, by either party?"""

    s = ladder_people
    action = plan.add_action(db, s.users["vt"], ctx_of(s.case), description="Huisbezoek",
                             owner_user_id=s.users["vt"].id, deadline=working_day(10))
    db.commit()
    services.raise_escalation(db, s.users["lt"], ctx_of(s.case), subject_kind="plan_action", subject_id=action.id,
                              subject_text="actie huisbezoek", urgency="acuut",
                              other_organisation_id=s.orgs["VT"].id, position="Te laat, moet eerder")
    db.commit()
    with pytest.raises(ServiceError, match="vergrendeld"):
        plan.change_status(db, s.users["vt"], ctx_of(s.case), plan.load_action(db, ctx_of(s.case), action.id),
                           status="gereed", comment="Gedaan")
    with pytest.raises(ServiceError, match="vergrendeld"):
        plan.remove_action(db, s.users["vt"], ctx_of(s.case), plan.load_action(db, ctx_of(s.case), action.id))


def test_moving_up_notifies_the_new_levels_deciders(db, raise_on, condition, ladder_people, ctx_of):
    """After moving up, are the managers (level 2) notified, and not the OM manager outside the circle?"""
    s = ladder_people
    esc = raise_on(condition)
    services.move_up(db, s.users["lt"], ctx_of(s.case), esc, reason="Hoger")
    db.commit()
    texts = {n.user_id: n.text for n in db.exec(select(Notification).where(Notification.escalation_id == esc.id))}
    assert "niveau 2" in texts[s.users["vt_manager"].id] and "niveau 2" in texts[s.users["lt_manager"].id]
    assert s.users["om_manager"].id not in texts


def test_a_raiser_taken_off_the_circle_is_no_longer_told_about_the_escalation(db, raise_on, condition, ladder_people,
                                                                                ctx_of):
    """After the coordinator takes the raising LT professional off the circle, does a later step (VT's position)
    leave them out of the notices (in the app and by e-mail, which name the case), while VT's side still hears?"""
    from mda.cases import circle

    s = ladder_people
    esc = raise_on(condition)
    circle.remove_member(db, s.users["coordinator"], ctx_of(s.case), s.users["lt"].id)
    db.commit()
    assert s.users["lt"].id not in {u.id for u in access.party_users(db, ctx_of(s.case), esc)}
    before = {n.id for n in db.exec(select(Notification).where(Notification.escalation_id == esc.id))}
    services.add_position(db, s.users["vt"], ctx_of(s.case), db.get(Escalation, esc.id),
                          text="Standpunt VT (fictief)", risk_argument="Risico (fictief)")
    db.commit()
    later = [n for n in db.exec(select(Notification).where(Notification.escalation_id == esc.id))
             if n.id not in before]
    assert later and s.users["lt"].id not in {n.user_id for n in later}


def test_a_second_decision_after_one_was_recorded_is_refused_in_plain_dutch(db, raise_on, condition, ladder_people,
                                                                            ctx_of):
    """When a team lead decides on an escalation that already has a decision, or a party acknowledges a closed one,
    does the refusal name the status as the pages show it, in a proper Dutch sentence?"""
    s = ladder_people
    esc = raise_on(condition)
    services.decide(db, s.users["vt_lead"], ctx_of(s.case), esc, decision="Eerste besluit", reasons="Redenen")
    db.commit()
    with pytest.raises(ServiceError) as refused:
        services.decide(db, s.users["lt_lead"], ctx_of(s.case), db.get(Escalation, esc.id),
                        decision="Tweede besluit", reasons="Andere redenen")
    assert str(refused.value) == ("Deze escalatie heeft de status ‘Besluit genomen (wacht op bevestiging)’; "
                                  "hierop kan niet meer worden gehandeld.")
    db.rollback()
    services.acknowledge(db, s.users["lt"], ctx_of(s.case), db.get(Escalation, esc.id))
    services.acknowledge(db, s.users["vt"], ctx_of(s.case), db.get(Escalation, esc.id))
    db.commit()
    with pytest.raises(ServiceError) as refused:
        services.acknowledge(db, s.users["vt_lead"], ctx_of(s.case), db.get(Escalation, esc.id))
    assert str(refused.value) == ("Deze escalatie heeft de status ‘Afgesloten’; hierop kan niet meer worden "
                                  "gehandeld.")
    assert db.get(Escalation, esc.id).decision == "Eerste besluit"
