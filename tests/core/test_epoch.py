"""The access epochs (:mod:`mda.core.epoch`): raised in the same transaction as each write a decision is made
from, and only then."""

from datetime import UTC, datetime

from sqlalchemy import text

from mda.cases.models import Consent, ConsentRecipient, Item
from mda.core import epoch


def _epochs(app, *scopes):
    from sqlmodel import Session

    with Session(app.extensions["mda_engine"]) as s:
        return epoch.read(s, scopes)


def test_a_consent_raises_its_case_and_a_rollback_raises_nothing(app, db, make_user, make_case, make_person):
    """Does recording a consent raise its case's epoch on commit (and not another case's), and does a consent
    rolled back leave the epoch where it was?"""
    coordinator = make_user(roles=("coordinator",))
    case, other = make_case(coordinator), make_case(coordinator)
    person = make_person(case)
    scope, other_scope = epoch.case_scope(case.id), epoch.case_scope(other.id)
    before = _epochs(app, scope, other_scope)
    db.add(Consent(case_id=case.id, person_id=person.id, given_by="betrokkene zelf", method="schriftelijk",
                   purpose="test", categories_text="overleg", given_on=datetime(2026, 1, 1, tzinfo=UTC).date(),
                   recorded_by_id=coordinator.id, created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    db.flush()
    db.rollback()
    assert _epochs(app, scope, other_scope) == before
    db.add(Consent(case_id=case.id, person_id=person.id, given_by="betrokkene zelf", method="schriftelijk",
                   purpose="test", categories_text="overleg", given_on=datetime(2026, 1, 1, tzinfo=UTC).date(),
                   recorded_by_id=coordinator.id, created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    db.commit()
    after = _epochs(app, scope, other_scope)
    assert after[0] == before[0] + 1 and after[1] == before[1]


def test_an_item_s_text_raises_nothing_and_its_category_does(app, db, make_user, make_case, make_item, make_org):
    """Is typing in an item (its text alone) left out, while a change of what a decision reads (its category)
    raises the case's epoch?"""
    coordinator = make_user(roles=("coordinator",))
    case = make_case(coordinator)
    item = make_item(case, make_org("POL"))
    scope = epoch.case_scope(case.id)
    before = _epochs(app, scope)[0]
    item.content = "Nieuwe tekst (fictief)."
    db.add(item)
    db.commit()
    assert _epochs(app, scope)[0] == before
    item.category = "overleg"
    db.add(item)
    db.commit()
    assert _epochs(app, scope)[0] == before + 1


def test_an_account_raises_everything_only_for_what_decisions_read(app, db, make_user):
    """Does a login (its time) raise nothing, and a change of roles raise the epoch of everything?"""
    user = make_user()
    before = _epochs(app, epoch.EVERYTHING)[0]
    user.last_login_at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    user.failed_logins = 1
    db.add(user)
    db.commit()
    assert _epochs(app, epoch.EVERYTHING)[0] == before
    user.roles_text = "professional team_lead"
    db.add(user)
    db.commit()
    assert _epochs(app, epoch.EVERYTHING)[0] == before + 1


def test_a_logout_raises_only_the_sessions_epoch(app, db, make_user):
    """Does a logout (the account's session version) raise the epoch of sessions, which the live session's checks
    of a login read, and leave the epoch of everything, which kept case contexts rest on, where it was?"""
    user = make_user()
    everything, sessions = _epochs(app, epoch.EVERYTHING, epoch.SESSIONS)
    user.session_version += 1
    db.add(user)
    db.commit()
    assert _epochs(app, epoch.EVERYTHING, epoch.SESSIONS) == (everything, sessions + 1)
    user.session_version += 1
    user.active = False
    db.add(user)
    db.commit()
    assert _epochs(app, epoch.EVERYTHING, epoch.SESSIONS)[0] == everything + 1


def test_a_link_row_raises_its_parent_s_scope(app, db, make_user, make_case, make_person, make_consent, make_org):
    """Does a consent's recipient, added without its consent in the session, raise the consent's case?"""
    from sqlmodel import Session

    coordinator = make_user(roles=("coordinator",))
    case = make_case(coordinator)
    consent = make_consent(case, make_person(case), [make_org("POL")], ["overleg"], coordinator)
    ggz = make_org("GGZ")
    scope = epoch.case_scope(case.id)
    before = _epochs(app, scope, epoch.EVERYTHING)
    with Session(app.extensions["mda_engine"]) as fresh:  # the consent is not in this session
        fresh.add(ConsentRecipient(consent_id=consent.id, organisation_id=ggz.id))
        fresh.commit()
    after = _epochs(app, scope, epoch.EVERYTHING)
    assert after == (before[0] + 1, before[1])


def test_a_write_in_sql_raises_everything(app, db, make_user, make_case, make_item, make_org):
    """Does a statement that writes a tracked table without its objects (here plain SQL) raise the epoch of
    everything, and one that writes another table not?"""
    coordinator = make_user(roles=("coordinator",))
    item = make_item(make_case(coordinator), make_org("POL"))
    before = _epochs(app, epoch.EVERYTHING)[0]
    db.execute(text("UPDATE live_piece SET version = version WHERE id = -1"))
    db.commit()
    assert _epochs(app, epoch.EVERYTHING)[0] == before
    db.execute(text(f"UPDATE {Item.__tablename__} SET category = 'overleg' WHERE id = :id"), {"id": item.id})
    db.commit()
    assert _epochs(app, epoch.EVERYTHING)[0] == before + 1


def test_a_rolled_back_savepoint_keeps_what_the_transaction_wrote_before_it(app, db, make_user, make_case,
                                                                            make_item, make_org):
    """When a savepoint is rolled back after the transaction changed an item, is the item's change still
    raised when the transaction commits?"""
    coordinator = make_user(roles=("coordinator",))
    case = make_case(coordinator)
    item = make_item(case, make_org("POL"))
    scope = epoch.case_scope(case.id)
    before = _epochs(app, scope)[0]
    item.category = "overleg"
    db.add(item)
    db.flush()
    nested = db.begin_nested()
    nested.rollback()
    db.commit()
    assert _epochs(app, scope)[0] == before + 1
