"""The case context kept within a unit of work (mda/core/sharing.py, ``load_contexts``): kept across a flush
that wrote nothing it is loaded from, loaded again after one that did."""

from datetime import date

import pytest
from sqlalchemy import event
from sqlmodel import Session, select
from werkzeug.exceptions import NotFound

from mda.core import sharing
from mda.core.timeutil import utcnow


@pytest.fixture
def shared(app, db, make_org, make_user, make_case, make_person, make_item, make_consent):
    """A GGZ item about the victim that the police sees by consent, a conflict-of-duties decision that opens
    an address item to the wijkteam; circle ZVH, POL, GGZ, LT."""
    from mda.cases.models import CaseOrganisation, DutyConflictDecision

    orgs = {t: make_org(t) for t in ("ZVH", "POL", "GGZ", "LT")}
    users = {t: make_user(roles=("professional",), org=o) for t, o in orgs.items()}
    coordinator = make_user(roles=("coordinator",), org=orgs["ZVH"])
    case = make_case(coordinator, members=[users[t] for t in ("POL", "GGZ", "LT")])
    for t in ("POL", "GGZ", "LT"):  # make_case names the coordinator's organisation; the others join here
        if db.exec(select(CaseOrganisation).where(CaseOrganisation.case_id == case.id,
                                                  CaseOrganisation.organisation_id == orgs[t].id)).first() is None:
            db.add(CaseOrganisation(case_id=case.id, organisation_id=orgs[t].id, added_at=utcnow()))
    db.commit()
    victim = make_person(case, source_org=orgs["ZVH"])
    ggz_item = make_item(case, orgs["GGZ"], "gezondheid", persons=[victim])
    consent = make_consent(case, victim, [orgs["POL"]], ["gezondheid"], coordinator)
    decision = DutyConflictDecision(case_id=case.id, organisation_id=orgs["LT"].id, category="gezondheid",
                                    person_id=victim.id, reason="Acuut gevaar (fictief)", decided_by_id=coordinator.id,
                                    decided_at=utcnow(), valid_until=date(2099, 1, 1))
    db.add(decision)
    db.commit()
    return dict(orgs=orgs, users=users, case_id=case.id, item_id=ggz_item.id, consent_id=consent.id,
                decision_id=decision.id)


def _visible(s: Session, user, case, item_id: int) -> bool:
    ctx = sharing.load_context(s, case)
    try:
        return sharing.item_view(s, user, ctx, item_id).decision.visible
    except NotFound:  # outside the circle: the case is not opened at all
        return False


def _withdraw_recipient(s: Session, h: dict) -> None:
    from mda.cases.models import ConsentRecipient

    s.delete(s.exec(select(ConsentRecipient).where(ConsentRecipient.consent_id == h["consent_id"])).one())


def _withdraw_recipient_by_statement(s: Session, h: dict) -> None:
    from sqlalchemy import delete

    from mda.cases.models import ConsentRecipient

    # a statement, not an object of the unit of work: no flush names it, so the statement itself must count
    s.execute(delete(ConsentRecipient).where(ConsentRecipient.consent_id == h["consent_id"]))


def _revoke_decision(s: Session, h: dict) -> None:
    from mda.cases.models import DutyConflictDecision

    decision = s.get(DutyConflictDecision, h["decision_id"])
    decision.revoked_at = utcnow()
    s.add(decision)


def _remove_from_circle(s: Session, h: dict, who: str) -> None:
    from mda.cases.models import CaseOrganisation

    row = s.exec(select(CaseOrganisation).where(CaseOrganisation.case_id == h["case_id"],
                                                CaseOrganisation.organisation_id == h["orgs"][who].id)).one()
    row.removed_at = utcnow()
    s.add(row)


@pytest.mark.parametrize(("viewer", "change"), [
    ("POL", _withdraw_recipient),
    ("POL", _withdraw_recipient_by_statement),
    ("LT", _revoke_decision),
    ("POL", lambda s, h: _remove_from_circle(s, h, "POL")),
], ids=["recipient-removed", "recipient-removed-by-statement", "decision-revoked", "organisation-left-circle"])
def test_a_flush_that_changes_a_basis_hides_the_item_at_once(app, shared, viewer, change):
    """After a context was loaded, does a flush in the same unit of work that takes away the viewer's basis
    (a consent's recipient, also by a statement, a conflict-of-duties decision, the circle) hide the item at
    once, rather than the kept context still showing it? (A withdrawn consent is the object the context holds,
    so it shows at once either way; the recipients are copied into the context, so they test the forgetting.)"""
    from mda.cases.models import Case

    with Session(app.extensions["mda_engine"], expire_on_commit=False) as s, app.test_request_context():
        user, case = s.get(type(shared["users"][viewer]), shared["users"][viewer].id), s.get(Case, shared["case_id"])
        assert _visible(s, user, case, shared["item_id"])  # the basis is there: the check can fail
        change(s, shared)
        s.flush()
        assert not _visible(s, user, case, shared["item_id"])
        s.rollback()


def test_a_flush_of_unrelated_rows_keeps_the_context_without_queries(app, shared):
    """Does a flush that writes only an item's text (what a live save writes) keep the loaded context, so that
    asking for it again costs no query?"""
    from mda.cases.models import Case, Item

    engine = app.extensions["mda_engine"]
    with Session(engine, expire_on_commit=False) as s, app.test_request_context():
        case = s.get(Case, shared["case_id"])
        ctx = sharing.load_context(s, case)
        item = s.get(Item, shared["item_id"])
        item.content = "Nieuwe tekst (fictief)"
        s.add(item)
        s.flush()
        statements = []

        def count(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            again = sharing.load_context(s, case)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert again is ctx and statements == []
        item.source_organisation_id = shared["orgs"]["POL"].id  # what the context reads of an item: loaded again
        s.add(item)
        s.flush()
        assert sharing.load_context(s, case) is not ctx
        s.rollback()


def test_a_kept_context_counts_each_person_of_an_item_once(app, shared):
    """When a page loads the case's items twice in one unit of work with an unrelated flush in between (the
    context kept), is each person of an item still named once (decisions and audit links not doubled)?"""
    from mda.cases.models import Case, Item

    with Session(app.extensions["mda_engine"], expire_on_commit=False) as s, app.test_request_context():
        case, user = s.get(Case, shared["case_id"]), s.get(type(shared["users"]["POL"]), shared["users"]["POL"].id)
        ctx = sharing.load_context(s, case)
        sharing._load_items(s, ctx, user)
        item = s.get(Item, shared["item_id"])
        item.content = "Nieuwe tekst (fictief)"
        s.add(item)
        s.flush()
        sharing._load_items(s, sharing.load_context(s, case), user)
        assert sharing.load_context(s, case) is ctx and len(ctx.item_persons[shared["item_id"]]) == 1
        s.rollback()
