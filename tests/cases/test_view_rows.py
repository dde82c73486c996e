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
    from mda.core import view_rows

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

