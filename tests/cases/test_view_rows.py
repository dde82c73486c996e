"""The case view built from plain rows (one statement) against the view built from the model objects."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from mda.cases.models import BreakGlass, Person
from mda.core import sharing
from mda.core.timeutil import utcnow


def _item_fields(view: sharing.ItemView) -> tuple:
    """Everything an item view carries, with the item's content read from whatever record it holds."""
    item = view.item
    content = None if item is None else (item.id, item.case_id, item.category, item.content,
                                         item.source_organisation_id, item.author_id, item.recorded_on)
    return (view.id, view.category, view.category_name, view.special, view.decision, view.person_ids,
            view.source_organisation, view.author, content)


def _from_models(db, user, case):
    """The persons and items of the case as the engine decided them from model objects (the earlier way)."""
    ctx = sharing._load_contexts(db, [case])[case.id]
    persons = db.exec(select(Person).where(Person.case_id == case.id, Person.destroyed_at.is_(None))
                      .order_by(Person.id)).all()
    items = sharing._load_items(db, ctx, user)
    return [sharing.person_view(user, ctx, p) for p in persons], sharing._item_views(db, user, ctx, items)


@pytest.fixture
def busy_case(db, scenario, make_person, make_item):
    """The scenario's case with more to get wrong: an item about two persons, several dates and categories,
    a destroyed item and person, and the police's break-glass on the health item (one active, one expired)."""
    s = scenario
    child = make_person(s.case, source_org=s.orgs["LT"], role="kind", name="Kim Kind (fictief)")
    gone = make_person(s.case, source_org=s.orgs["LT"], name="Vernietigd (fictief)")
    gone.destroyed_at = utcnow()
    older = make_item(s.case, s.orgs["LT"], "risicosignalen", persons=[child, s.persons["victim"]],
                      content="Ouder risicosignaal", author=s.users["lt"])
    older.recorded_on = date(2025, 3, 1)
    make_item(s.case, s.orgs["VT"], "hulpverlening", content="Hulp zonder persoon")
    destroyed = make_item(s.case, s.orgs["POL"], "justitie", persons=[s.persons["suspect"]], content="Weg")
    destroyed.destroyed_at = utcnow()
    now = utcnow()
    db.add(BreakGlass(case_id=s.case.id, item_id=s.items["health"].id, user_id=s.users["pol"].id,
                      reason="Acuut gevaar (fictief)", opened_at=now, expires_at=now + timedelta(hours=4)))
    db.add(BreakGlass(case_id=s.case.id, item_id=older.id, user_id=s.users["ggz"].id,
                      reason="Verlopen doorbraak (fictief)", opened_at=now - timedelta(hours=9),
                      expires_at=now - timedelta(hours=5)))
    db.add_all([gone, older, destroyed])
    db.commit()
    return s


@pytest.mark.parametrize("who", ["coordinator", "pol", "ggz", "lt", "vt", "lt_lead"])
def test_view_from_rows_equals_view_from_models(app, db, busy_case, who):
    """Does every viewer get the same persons and items from the one-statement rows as from the model objects:
    order, decisions and their basis, content, links, authors, break-glass and withheld items alike?"""
    s = busy_case
    user = s.users[who]
    with app.test_request_context():
        want_persons, want_items = _from_models(db, user, s.case)
        view = sharing.case_view(db, user, s.case, sharing._load_contexts(db, [s.case])[s.case.id])
        db.rollback()
    assert view.persons == want_persons
    assert [_item_fields(v) for v in view.items] == [_item_fields(v) for v in want_items]
    # the fixture reaches what it is meant to: an item about two persons, a destroyed item left out
    assert len(view.items) == len(s.items) + 2 and len(view.persons) == 3
    assert any(len(v.person_ids) == 2 for v in view.items)
    if who == "pol":
        health = next(v for v in view.items if v.id == s.items["health"].id)
        assert health.decision.kind == "doorbraak" and health.item.content.startswith("GEHEIM-GGZ")


def test_rows_keep_the_models_person_rules(db, scenario):
    """Does a person loaded as a row name its role and mask its BSN exactly as the model does?"""
    from mda.core.sharing import rows as view_rows

    rows = view_rows.load(db, scenario.case.id, scenario.users["pol"].id)
    victim = scenario.persons["victim"]
    row = next(p for p in rows.persons if p.id == victim.id)
    assert (row.role_name, row.bsn_masked, row.name, row.address) == (
        victim.role_name, victim.bsn_masked, victim.name, victim.address)
    assert row.bsn_masked.endswith("333") and "111" not in row.bsn_masked


def test_url_pattern_gives_what_url_for_gives(app):
    """Does a link address built once and formatted per id equal url_for's address for each id?"""
    from flask import url_for

    from mda.core.templating import UrlPattern

    with app.test_request_context():
        pattern = UrlPattern("cases.item_history", "item_id", case_id=42)
        for item_id in (1, 7, 42, 123456):
            assert pattern(item_id) == url_for("cases.item_history", case_id=42, item_id=item_id)
        with pytest.raises(ValueError):
            pattern("1; drop")  # an id is a number, nothing else reaches the address



def test_chosen_items_from_one_statement_equal_the_models(db, busy_case):
    """Do chosen items loaded in one statement (the live push's) carry what the model objects carry, with their
    persons in order, the break-glass of the asked users only (expired ones too: the engine drops those), authors,
    and no destroyed or unknown item?"""
    from mda.cases.models import Item, ItemPerson
    from mda.core.sharing import rows as view_rows

    s = busy_case
    items = db.exec(select(Item).where(Item.case_id == s.case.id).order_by(Item.id)).all()
    wanted = [i.id for i in items] + [10**9]
    rows = view_rows.load_items(db, wanted, [s.users["pol"].id, s.users["ggz"].id])
    live = [i for i in items if i.destroyed_at is None]
    assert [(r.id, r.case_id, r.category, r.content, r.source_organisation_id, r.author_id, r.recorded_on,
             r.created_at) for r in rows.items] == [
        (i.id, i.case_id, i.category, i.content, i.source_organisation_id, i.author_id, i.recorded_on, i.created_at)
        for i in live]
    assert len(live) < len(items)  # the destroyed item was asked for and left out
    for item in live:
        links = db.exec(select(ItemPerson.person_id).where(ItemPerson.item_id == item.id)
                        .order_by(ItemPerson.person_id)).all()
        assert rows.item_persons[item.id] == list(links)
    assert any(len(p) == 2 for p in rows.item_persons.values())
    grants = db.exec(select(BreakGlass)).all()
    assert sorted((case_id, bg.id, bg.user_id, bg.item_id) for case_id, bg in rows.break_glass) == sorted(
        (g.case_id, g.id, g.user_id, g.item_id) for g in grants if g.item_id in {i.id for i in live})
    assert not view_rows.load_items(db, wanted, [s.users["vt"].id]).break_glass  # only the asked users' own
    assert rows.authors[s.users["ggz"].id] == s.users["ggz"].name


@pytest.mark.parametrize("who", ["coordinator", "pol", "ggz", "lt", "vt", "om", "lt_lead", "om_lead", "admin"])
def test_a_viewer_row_is_decided_and_audited_as_its_user(app, db, busy_case, who):
    """Does a viewer loaded as a plain row (the live push's) get from the rules of joining, the engine and the
    audit exactly what the user's model object gets: permissions, circle, decision group, views, audit names?"""
    from mda.core import audit
    from mda.core.permissions import has_permission
    from mda.core.sharing import rows as view_rows

    s = busy_case
    user = s.users[who]
    row = view_rows.load_viewers(db, [user.id])[user.id]
    ctx = sharing._load_contexts(db, [s.case])[s.case.id]
    assert has_permission(row, "meeting.attend") == has_permission(user, "meeting.attend")
    assert sharing.can_open_case(row, s.case, ctx) == sharing.can_open_case(user, s.case, ctx)
    items = [s.items[k] for k in ("health", "justice", "risk")]
    assert sharing.decision_group(row, ctx, items) == sharing.decision_group(user, ctx, items)
    assert audit.organisation_of(db, row) == audit.organisation_of(db, user) != (None, "")
    with app.test_request_context():
        ids = [i.id for i in items]
        by_row = sharing.item_views_for_users(db, [row], {s.case.id: ctx}, ids)[user.id]
        by_user = sharing.item_views_for_users(db, [user], {s.case.id: ctx}, ids)[user.id]
        db.rollback()
    assert {k: _item_fields(v) for k, v in by_row.items()} == {k: _item_fields(v) for k, v in by_user.items()}


@pytest.mark.parametrize("who", ["pol", "ggz", "vt"])
def test_item_links_from_one_statement_equal_the_models(db, busy_case, who):
    """Do an item's persons (in id order, every item named) and a viewer's break-glass openings in the case, read
    in one statement, equal what the models hold, the openings of other viewers left out?"""
    from mda.cases.models import Item, ItemPerson
    from mda.core.sharing import rows as view_rows

    s = busy_case
    user = s.users[who]
    item_ids = [i.id for i in db.exec(select(Item).where(Item.case_id == s.case.id))]
    persons, openings = view_rows.load_links(db, item_ids, s.case.id, user.id)
    want_persons = {i: [link.person_id for link in db.exec(select(ItemPerson).where(ItemPerson.item_id == i)
                                                            .order_by(ItemPerson.person_id))] for i in item_ids}
    want_openings = {(bg.id, bg.user_id, bg.item_id, bg.expires_at) for bg in db.exec(
        select(BreakGlass).where(BreakGlass.case_id == s.case.id, BreakGlass.user_id == user.id))}
    assert persons == want_persons
    assert {(o.id, o.user_id, o.item_id, o.expires_at) for o in openings} == want_openings
    # the fixture reaches what it is meant to: an item about two persons; pol and ggz each hold an opening
    assert any(len(p) == 2 for p in persons.values())
    assert len(openings) == (0 if who == "vt" else 1)
