"""The fictional demo cases: idempotent, and a visibly different view for each partner."""

from sqlmodel import select

from mda.cases.models import Case, Consent, Referral
from mda.core import sharing
from mda.demo import load_demo
from mda.demo.accounts import demo_user


def _load(app, db):
    with app.app_context():
        from mda import db as dbmod

        with dbmod.unit_of_work() as s:
            return load_demo(s)


def test_demo_cases_load_once(app, db):
    """Does loading the demo data twice create the cases and the pending referral only once?"""
    assert _load(app, db) > 0
    assert _load(app, db) == 0
    refs = set(db.exec(select(Case.reference)))
    assert {"MDA-2026-0001", "MDA-2026-0002", "MDA-2025-0007"} <= refs
    assert db.exec(select(Referral).where(Referral.status == "open")).all()


def test_demo_consents_cover_every_state(app, db):
    """Are there consents that are valid, withdrawn and expired in the demo data?"""
    _load(app, db)
    today = sharing._today()
    consents = db.exec(select(Consent)).all()
    assert any(c.withdrawn_at for c in consents)
    assert any(c.valid_until and c.valid_until < today and not c.withdrawn_at for c in consents)
    assert any(sharing.consent_is_valid(c, today) for c in consents)


def test_each_demo_partner_sees_a_different_view_of_the_same_case(app, db):
    """Do police, GGZ, wijkteam and Veilig Thuis each see a different set of items of MDA-2026-0001?"""
    _load(app, db)
    case = db.exec(select(Case).where(Case.reference == "MDA-2026-0001")).one()
    views = {}
    with app.test_request_context():
        for email in ("agent.pol@demo.invalid", "behandelaar.ggz@demo.invalid", "wijkteam.lt@demo.invalid",
                      "medewerker.vt@demo.invalid"):
            user = demo_user(db, email)
            view = sharing.case_view(db, user, case)
            views[email] = frozenset(v.id for v in view.items if v.decision.visible)
            assert any(not v.decision.visible for v in view.items), email
    assert len(set(views.values())) == 4
