"""The case context kept within a unit of work (mda/core/sharing.py, ``load_contexts``): kept across a flush
that wrote nothing it is loaded from, loaded again after one that did."""

from datetime import date

import pytest
from sqlalchemy import event
from sqlmodel import Session, select
from werkzeug.exceptions import NotFound

from mda.core import sharing
from mda.core.timeutil import utcnow
from tests.conftest import statements_run


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


# ----------------------------------------------------------------------------- kept between units of work
def _in_new_unit(app, work):
    """*work(session)* in a unit of work of its own (as a request: a session, committed at the end)."""
    with Session(app.extensions["mda_engine"], expire_on_commit=False) as s, app.test_request_context():
        result = work(s)
        s.commit()
        return result


def _load(s: Session, h: dict):
    from mda.core.sharing import context

    return sharing.load_context(s, context.load_case(s, h["case_id"]))


def test_the_next_unit_of_work_builds_the_context_from_the_kept_facts(app, shared):
    """Once a unit of work has loaded a case's context, does the next one (another request) get the same facts
    without reading them: one statement, the case with its epochs, and none for the context?"""
    first = _in_new_unit(app, lambda s: _load(s, shared))
    engine = app.extensions["mda_engine"]
    got = {}
    seen = statements_run(engine, lambda: got.update(ctx=_in_new_unit(app, lambda s: _load(s, shared))))
    ctx = got["ctx"]
    assert len([q for q in seen if q.lstrip().upper().startswith("SELECT")]) == 1, seen
    assert ctx.facts is first.facts is not None  # built from the kept facts
    assert ctx.consents == first.consents and ctx.circle_org_ids == first.circle_org_ids
    assert ctx.circle_org_ids is not first.circle_org_ids  # a container of its own: a change stays in its request


def _withdraw_consent(s: Session, h: dict) -> None:
    from mda.cases.models import Consent
    from mda.core import clock

    consent = s.get(Consent, h["consent_id"])
    consent.withdrawn_at = clock.now()  # the application's clock (frozen in tests)
    s.add(consent)


def _deactivate_viewer(s: Session, h: dict, who: str) -> None:
    user = s.get(type(h["users"][who]), h["users"][who].id)
    user.active = False
    s.add(user)


@pytest.mark.parametrize(("viewer", "change"), [
    ("POL", _withdraw_consent),
    ("POL", _withdraw_recipient),
    ("POL", _withdraw_recipient_by_statement),
    ("LT", _revoke_decision),
    ("POL", lambda s, h: _remove_from_circle(s, h, "POL")),
], ids=["consent-withdrawn", "recipient-removed", "recipient-removed-by-statement", "decision-revoked",
        "organisation-left-circle"])
def test_a_change_committed_by_another_unit_of_work_is_seen_by_the_next(app, shared, viewer, change):
    """With the context kept, does a change committed elsewhere (another request or process) that takes away the
    viewer's basis hide the item from the very next unit of work?"""
    from mda.cases.models import Case

    def visible(s):
        user = s.get(type(shared["users"][viewer]), shared["users"][viewer].id)
        return _visible(s, user, s.get(Case, shared["case_id"]), shared["item_id"])

    assert _in_new_unit(app, visible)  # the basis is there (and the context now kept): the check can fail
    assert _in_new_unit(app, lambda s: _load(s, shared).facts is not None)
    _in_new_unit(app, lambda s: change(s, shared))
    assert not _in_new_unit(app, visible)


def test_kept_facts_run_out_with_the_clock(app, shared):
    """A write that raises no epoch (one outside the application's sessions, e.g. a restore): are the kept facts
    used at most :data:`MAX_AGE`, and read again after it?"""
    from datetime import timedelta

    from sqlalchemy import text

    from mda.core import clock
    from mda.core.sharing import context

    engine = app.extensions["mda_engine"]
    assert _in_new_unit(app, lambda s: _load(s, shared).facts is not None)
    with engine.begin() as conn:  # not through a session: nothing raises the case's epoch
        conn.execute(text("DELETE FROM consent_recipient WHERE consent_id = :c"), {"c": shared["consent_id"]})

    def recipients(s):
        return {o for rows in _load(s, shared).consents.values() for _c, recipients in rows for o in recipients}

    assert shared["orgs"]["POL"].id in _in_new_unit(app, recipients)  # still the kept facts
    clock.set_now(clock.now() + context.MAX_AGE + timedelta(seconds=1), tick=True)
    assert shared["orgs"]["POL"].id not in _in_new_unit(app, recipients)


def test_a_unit_of_work_that_wrote_the_facts_keeps_nothing(app, shared):
    """Does a unit of work that has written what a context is read from (not yet committed) read the context
    itself, and keep neither it nor what is kept with it (it may rest on what it has not committed)?"""
    from mda.core.sharing import context

    def work(s):
        _withdraw_recipient(s, shared)
        s.flush()
        ctx = _load(s, shared)
        sharing.kept(s, ctx, "probe", lambda: "geschreven")
        s.rollback()
        return ctx

    ctx = _in_new_unit(app, work)
    assert ctx.facts is None
    assert shared["case_id"] not in context._kept_of(Session(app.extensions["mda_engine"]))


def test_the_circle_is_kept_with_the_context_and_follows_a_new_team_lead(app, shared, make_user):
    """Is the circle a case page shows kept with the context (no statement the second time), and does a team
    lead added to a circle organisation afterwards appear on the next page?"""
    from mda.cases import circle
    from mda.core.sharing import context

    def leads(s):
        return {u.name for entry in circle.circle(s, _load(s, shared)) for u in entry.team_leads}

    def circle_statements():
        seen = statements_run(app.extensions["mda_engine"], lambda: _in_new_unit(app, leads))
        return [q for q in seen if "JOIN app_user ON app_user.organisation_id = organisation.id" in q]

    context.forget_kept()
    assert len(circle_statements()) == 1  # read once: the check can fail
    assert circle_statements() == []  # then kept
    assert _in_new_unit(app, leads) == set()
    lead = make_user(roles=("team_lead",), org=shared["orgs"]["POL"])
    assert _in_new_unit(app, leads) == {lead.name}


def test_the_kept_facts_rest_only_on_tables_that_raise_an_epoch(app, shared):
    """Does every table that a context and the circle kept with it are read from raise an epoch when written (so
    that no change of it can leave kept facts standing)? A context that reads another table fails here."""
    from mda.cases import circle
    from mda.core import epoch
    from mda.core.sharing import context
    from tests.conftest import tables_read

    def work(s):
        context.forget_kept()
        circle.circle(s, _load(s, shared))

    seen = tables_read(app.extensions["mda_engine"], lambda: _in_new_unit(app, work))
    assert {"case_organisation", "consent", "duty_conflict_decision", "organisation"} <= seen  # it can fail
    assert seen <= epoch.TRACKED | {"access_epoch"}, seen - epoch.TRACKED


def test_a_change_not_yet_flushed_is_not_hidden_by_the_kept_facts(app, shared):
    """When the unit of work holds a change it has not flushed yet (a recipient removed) by the time it first asks
    for the context, is the context read with that change (as a fresh read, which flushes first, would) rather
    than built from the facts kept before it?"""
    from mda.core.sharing import context

    assert _in_new_unit(app, lambda s: _load(s, shared).facts is not None)  # kept: the check can fail

    def work(s):
        case = context.load_case(s, shared["case_id"])  # the case and its epochs
        _withdraw_recipient(s, shared)  # not flushed
        ctx = sharing.load_context(s, case)
        s.rollback()
        return {o for rows in ctx.consents.values() for _c, recipients in rows for o in recipients}

    assert shared["orgs"]["POL"].id not in _in_new_unit(app, work)
