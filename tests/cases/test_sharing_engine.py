"""The sharing engine's rules, one by one (mda/core/sharing.py)."""

from datetime import date

import pytest
from werkzeug.exceptions import NotFound

from mda.core import sharing
from mda.core.timeutil import utcnow


@pytest.fixture
def household(db, make_region, make_org, make_user, make_case, make_person, make_item):
    """A Demodam-style case: GGZ item about the victim, circle of ZVH, POL, GGZ, LT."""
    from mda.organisations.models import Region

    region = db.exec(__import__("sqlmodel").select(Region).where(Region.code == "DEMODAM")).first()
    if region is None:
        region = Region(code="DEMODAM", name="Demodam")
        db.add(region)
        db.commit()
    orgs = {t: make_org(t, region=region) for t in ("ZVH", "POL", "GGZ", "LT", "VT", "OM")}
    users = {t: make_user(roles=("professional",), org=o) for t, o in orgs.items()}
    coordinator = make_user(roles=("coordinator",), org=orgs["ZVH"])
    case = make_case(coordinator, members=[users[t] for t in ("POL", "GGZ", "LT", "VT")])
    victim = make_person(case, source_org=orgs["ZVH"])
    ggz_item = make_item(case, orgs["GGZ"], "gezondheid", persons=[victim])
    return dict(db=db, orgs=orgs, users=users, coordinator=coordinator, case=case, victim=victim,
                item=ggz_item, app=None)


def _decision(app, household, who):
    with app.test_request_context():
        db = household["db"]
        ctx = sharing.load_context(db, household["case"])
        sharing._load_items(db, ctx, household["users"].get(who, who) if isinstance(who, str) else who)
        user = household["users"][who] if isinstance(who, str) else who
        return sharing.item_decision(user, ctx, household["item"])


def test_source_always_sees_own_item(app, household):
    """Does the source organisation see its own special-category item without any consent?"""
    d = _decision(app, household, "GGZ")
    assert d.visible and d.kind == "bron"


def test_special_category_without_consent_is_withheld_with_reason(app, household):
    """Does the police get a 'niet gedeeld' reason naming the category and recipient, not the content?"""
    d = _decision(app, household, "POL")
    assert not d.visible
    assert d.withheld_reason == "geen toestemming voor GGZ-gegevens aan Politie"


def test_consent_opens_and_withdrawal_closes(app, household, make_consent):
    """Does a consent naming the police and GGZ-gegevens open the item, and its withdrawal close it at once?"""
    h = household
    consent = make_consent(h["case"], h["victim"], [h["orgs"]["POL"]], ["gezondheid"], h["coordinator"])
    d = _decision(app, h, "POL")
    assert d.visible and d.kind == "toestemming" and f"nr. {consent.id}" in d.basis
    consent.withdrawn_at = utcnow()
    h["db"].add(consent)
    h["db"].commit()
    d = _decision(app, h, "POL")
    assert not d.visible and "ingetrokken" in d.withheld_reason


def test_consent_for_other_recipient_or_category_does_not_open(app, household, make_consent):
    """Does consent for the wijkteam, or for another category, leave the police without access?"""
    h = household
    make_consent(h["case"], h["victim"], [h["orgs"]["LT"]], ["gezondheid"], h["coordinator"])
    make_consent(h["case"], h["victim"], [h["orgs"]["POL"]], ["adres"], h["coordinator"])
    assert not _decision(app, h, "POL").visible
    assert _decision(app, h, "LT").visible


def test_expired_consent_does_not_open(app, household, make_consent):
    """Is a consent past its valid-until date no basis?"""
    h = household
    make_consent(h["case"], h["victim"], [h["orgs"]["POL"]], ["gezondheid"], h["coordinator"],
                 valid_until=date(2026, 2, 1))
    d = _decision(app, h, "POL")
    assert not d.visible and "verlopen" in d.withheld_reason


def test_covenant_gives_vt_justice_data_but_not_health(app, household, make_item):
    """Does the covenant let VT see justice data without consent, but not GGZ data?"""
    h = household
    assert not _decision(app, h, "VT").visible
    h["item"] = make_item(h["case"], h["orgs"]["POL"], "justitie", persons=[h["victim"]])
    d = _decision(app, h, "VT")
    assert d.visible and d.kind == "convenant" and "Wmo 2015" in d.basis
    assert not _decision(app, h, "LT").visible


def test_outside_circle_gets_404_and_denied_audit(app, household, make_user):
    """Does a professional of an organisation outside the circle get 404 and a denied audit row?"""
    from tests.conftest import audit_rows

    h = household
    outsider = make_user(roles=("professional",), org=h["orgs"]["OM"])
    with app.test_request_context():
        from mda import db as dbmod

        with pytest.raises(NotFound):
            sharing.load_case_or_404(dbmod.session(), outsider, h["case"].id)
        dbmod.rollback()
    rows = audit_rows(h["db"], action="denied", user_id=outsider.id)
    assert rows and rows[0].case_id == h["case"].id


def test_team_lead_of_circle_org_can_open(app, household, make_user):
    """Can a team lead of an organisation in the circle open the case without being named?"""
    h = household
    lead = make_user(roles=("team_lead",), org=h["orgs"]["LT"])
    plain = make_user(roles=("professional",), org=h["orgs"]["LT"])
    assert sharing.can_open_case(lead, h["case"])
    assert not sharing.can_open_case(plain, h["case"])


def test_duty_conflict_decision_opens_for_that_recipient(app, household):
    """Does a conflict-of-duties decision for the police open GGZ data for the police only?"""
    from mda.cases.models import DutyConflictDecision

    h = household
    h["db"].add(DutyConflictDecision(case_id=h["case"].id, organisation_id=h["orgs"]["POL"].id,
                                     category="gezondheid", decided_by_id=h["coordinator"].id,
                                     reason="Acuut gevaar voor de kinderen", decided_at=utcnow()))
    h["db"].commit()
    d = _decision(app, h, "POL")
    assert d.visible and d.kind == "conflict_van_plichten"
    assert not _decision(app, h, "LT").visible


def test_break_glass_opens_item_for_that_user_and_is_audited(app, household):
    """Does break-glass open the withheld item for the one professional, with an audit row?"""
    from tests.conftest import audit_rows

    h = household
    police = h["users"]["POL"]
    with app.test_request_context():
        from mda import db as dbmod

        s = dbmod.session()
        ctx = sharing.load_context(s, h["case"])
        sharing._load_items(s, ctx, police)
        sharing.open_break_glass(s, police, ctx, h["item"], "Dreiging met wapen, kinderen thuis")
        dbmod.commit()
    assert _decision(app, h, "POL").kind == "doorbraak"
    assert not _decision(app, h, "LT").visible
    assert audit_rows(h["db"], action="break_glass", user_id=police.id)


def test_rule_one_in_sql_agrees_with_can_open_case(app, db, household, make_user):
    """Do the SQL forms of rule 1 (sharing.opens_case for task lists; visible_case_ids, visible_cases_query and
    visible_open_cases_statement for lists) answer exactly as can_open_case for the coordinator, named members, a
    member taken off the circle, a member whose organisation left it, a member whose account moved to another
    organisation, a team lead of a circle organisation, a plain colleague, an outsider and a closed account, and for
    a purged case?"""
    from sqlmodel import select

    from mda.cases import circle
    from mda.cases.models import Case

    h = household
    lead = make_user(roles=("team_lead",), org=h["orgs"]["LT"])
    people = [h["coordinator"], *h["users"].values(), lead, make_user(roles=("professional",), org=h["orgs"]["LT"]),
              make_user(roles=("professional",), org=h["orgs"]["POL"], active=False)]
    ctx = sharing.load_context(db, h["case"])
    circle.remove_member(db, h["coordinator"], ctx, h["users"]["GGZ"].id)
    db.commit()

    def both(user):
        """(rule 1 in each SQL form, as one answer when they agree; can_open_case)"""
        db.expire_all()
        case = db.get(Case, h["case"].id)
        user = db.get(type(user), user.id)
        answers = {
            db.exec(select(Case.id).where(Case.id == case.id, sharing.opens_case(user, Case.id))).first() is not None,
            case.id in set(db.exec(sharing.visible_case_ids(user))),
            case.id in set(db.exec(sharing.visible_case_ids(user, limit=50))),
            case.id in {c.id for c in db.exec(sharing.visible_cases_query(user))},
            case.id in {row[0] for row in db.execute(sharing.visible_open_cases_statement(
                bool(sharing.LEAD_ROLES & user.roles)), sharing.visible_cases_params(user) | {"limit": 50})},
        }
        assert len(answers) == 1, f"the SQL forms of rule 1 disagree for user {user.id}"
        return answers.pop(), sharing.can_open_case(user, case, sharing.load_context(db, case))

    answers = {user.id: both(user) for user in people}
    assert all(sql == engine for sql, engine in answers.values()), answers
    assert sorted(answers.values()).count((True, True)) == 5  # coordinator, POL, LT, VT, LT's lead
    # a named member whose account moves to an organisation outside the circle (update_user, then the circle's
    # answer to signals.account_moved): closed to them in every form
    from mda.auth.models import User
    moved = db.get(User, h["users"]["POL"].id)
    moved.organisation_id = h["orgs"]["OM"].id
    with app.test_request_context():
        circle.leave_circles_of_moved_account(db, h["coordinator"], moved)
    db.commit()
    assert both(moved) == (False, False)
    # a named member's organisation leaves the circle (with its professionals): closed to them in every form
    with app.test_request_context():
        circle.remove_organisation(db, h["coordinator"], sharing.load_context(db, db.get(Case, h["case"].id)),
                                   h["orgs"]["VT"].id)
    db.commit()
    assert both(h["users"]["VT"]) == (False, False)
    case = db.get(Case, h["case"].id)
    case.purged_at = case.opened_at
    db.commit()
    assert both(h["users"]["POL"]) == (False, False) and both(h["coordinator"]) == (True, True)
