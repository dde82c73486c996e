"""The rows a case view is built from: persons, items, their links and the viewer's break-glass, in one statement.

Plain Core rows in small frozen records instead of ORM entities: a view reads each row once and
never changes it, and building and tracking an entity per row cost more than running the query.
Nothing here decides anything; :mod:`mda.core.sharing` decides and audits every person and item
from these records exactly as from the models (the records have the attributes it reads).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String, bindparam, cast, func, literal_column, null, union_all
from sqlmodel import Session, select

from mda.cases.models import BreakGlass, Consent, Item, ItemPerson, Person


@dataclass(frozen=True, slots=True)
class PersonRow:
    """A person of the case as the engine reads it for a view (same attributes as :class:`Person`)."""

    id: int
    case_id: int
    role: str
    name: str
    date_of_birth: date | None
    bsn: str | None
    address: str
    source_organisation_id: int
    destroyed_at: datetime | None = None

    # the model's own rules for the role's name and the masked BSN, not a copy of them
    role_name = Person.role_name
    bsn_masked = Person.bsn_masked


@dataclass(frozen=True, slots=True)
class ItemRow:
    """An item of the case as the engine reads it for a view (same attributes as :class:`Item`)."""

    id: int
    case_id: int
    category: str
    content: str
    source_organisation_id: int
    author_id: int | None
    recorded_on: date
    created_at: datetime
    destroyed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class BreakGlassRow:
    """A break-glass opening as a decision reads it: its number, whose, which item, until when."""

    id: int
    user_id: int
    item_id: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ConsentRow:
    """A consent as a case's context holds it (same attributes as :class:`Consent`, in its columns' order):
    contexts are kept between requests (:mod:`.context`), so they hold records no session can change."""

    id: int
    case_id: int
    person_id: int
    given_by: str
    purpose: str
    method: str
    categories_text: str
    recorded_by_id: int
    given_on: date
    valid_until: date | None
    withdrawn_at: datetime | None
    withdrawn_by_id: int | None
    withdrawal_reason: str
    created_at: datetime

    category_codes = Consent.category_codes


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """A conflict-of-duties decision as a case's context holds it (same attributes as
    :class:`DutyConflictDecision`, in its columns' order)."""

    id: int
    case_id: int
    organisation_id: int
    category: str
    person_id: int | None
    decided_by_id: int
    reason: str
    decided_at: datetime
    valid_until: date | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class ViewerRow:
    """A user as a live push reads a viewer (same attributes as :class:`mda.auth.models.User` for the session
    checks, the rule of joining, the engine's decisions and the audit rows): a room of 200 viewers is read on
    every change, and an entity per viewer cost more than the query."""

    id: int
    email: str
    name: str
    organisation_id: int
    roles_text: str
    active: bool
    session_version: int
    roles: frozenset[str]  # read several times per viewer (joining, circle): split once

    @property
    def is_authenticated(self) -> bool:
        return True


def load_viewers(db: Session, user_ids) -> dict[int, ViewerRow]:
    """The users *user_ids* (id -> row) as of now, in one statement."""
    if not user_ids:
        return {}
    return {row.id: ViewerRow(*row, frozenset(row.roles_text.split()))
            for row in db.execute(_viewers_statement(), {"ids": list(user_ids)})}


@functools.cache
def _viewers_statement():
    from mda.auth.models import User

    return (select(User.id, User.email, User.name, User.organisation_id, User.roles_text, User.active,
                   User.session_version).where(User.id.in_(bindparam("ids", expanding=True))))


@dataclass
class ViewRows:
    """What :func:`load` returns: persons in id order, items in page order, links, break-glass, authors."""

    persons: list[PersonRow]
    items: list[ItemRow]
    item_persons: dict[int, list[int]]  # item id -> person ids, in id order
    break_glass: list[BreakGlassRow]
    authors: dict[int, str]  # author id -> name (a professional's name, shown only with a visible item)


def _tagged_row(kind: str, id_, a=None, b=None, n=None, day=None, at=None, t1=None, t2=None, t3=None, t4=None):
    """One branch of a tagged UNION ALL: the tag, an id, three numbers, a date, a time and four texts (NULL where
    the branch has none, typed so that every branch has the same columns)."""
    def nullable(value, type_):
        return cast(null(), type_) if value is None else value

    return select(literal_column(f"'{kind}'", String).label("kind"), id_.label("id"),
                  nullable(a, Integer).label("a"), nullable(b, Integer).label("b"),
                  nullable(n, Integer).label("n"), nullable(day, Date).label("day"),
                  nullable(at, DateTime).label("at"), nullable(t1, String).label("t1"),
                  nullable(t2, String).label("t2"), nullable(t3, String).label("t3"),
                  nullable(t4, String).label("t4"))


@functools.cache
def _statement():
    """One tagged UNION ALL: persons ('p'), items with their author's name ('i'), links ('l'), break-glass ('b').

    Items keep the page's order (category, date, id) through a row number; the rest comes in id order.
    """
    from mda.auth.models import User

    case_id, user_id = bindparam("case_id"), bindparam("user_id")
    row = _tagged_row
    author = select(User.name).where(User.id == Item.author_id).scalar_subquery()
    live_items = (Item.case_id == case_id, Item.destroyed_at.is_(None))
    # the item branch first: the result's column types (dates, times) are taken from it
    stmt = union_all(
        row("i", Item.id, Item.source_organisation_id, Item.author_id,
            func.row_number().over(order_by=(Item.category, Item.recorded_on, Item.id)), Item.recorded_on,
            Item.created_at, Item.category, Item.content, author).where(*live_items),
        row("p", Person.id, Person.source_organisation_id, day=Person.date_of_birth, t1=Person.role,
            t2=Person.name, t3=Person.address, t4=Person.bsn).where(Person.case_id == case_id,
                                                                    Person.destroyed_at.is_(None)),
        row("l", ItemPerson.item_id, ItemPerson.person_id).join(Item, Item.id == ItemPerson.item_id).where(
            *live_items),
        row("b", BreakGlass.id, BreakGlass.item_id, BreakGlass.user_id, at=BreakGlass.expires_at).where(
            BreakGlass.case_id == case_id, BreakGlass.user_id == user_id),
    )
    return stmt.order_by(*(stmt.selected_columns[c] for c in ("kind", "n", "id", "a")))


@functools.cache
def _items_statement():
    """One tagged UNION ALL for chosen items of any cases and several viewers: the items with their author's
    name ('i'), their persons ('l'), and those viewers' break-glass openings of them ('b')."""
    from mda.auth.models import User

    item_ids, user_ids = bindparam("item_ids", expanding=True), bindparam("user_ids", expanding=True)
    row = _tagged_row
    author = select(User.name).where(User.id == Item.author_id).scalar_subquery()
    # the item branch first: the result's column types (dates, times) are taken from it
    stmt = union_all(
        row("i", Item.id, Item.source_organisation_id, Item.author_id, Item.case_id, Item.recorded_on,
            Item.created_at, Item.category, Item.content, author).where(Item.id.in_(item_ids),
                                                                        Item.destroyed_at.is_(None)),
        row("l", ItemPerson.item_id, ItemPerson.person_id).where(ItemPerson.item_id.in_(item_ids)),
        row("b", BreakGlass.id, BreakGlass.item_id, BreakGlass.user_id, BreakGlass.case_id,
            at=BreakGlass.expires_at).where(BreakGlass.item_id.in_(item_ids), BreakGlass.user_id.in_(user_ids)),
    )
    return stmt.order_by(*(stmt.selected_columns[c] for c in ("kind", "id", "a")))


@functools.cache
def _links_statement():
    """One tagged UNION ALL: chosen items' persons ('l'), and one viewer's break-glass openings in a case ('b')."""
    row = _tagged_row
    # the break-glass branch first: the result's column types (its time) are taken from it
    stmt = union_all(
        row("b", BreakGlass.id, BreakGlass.item_id, BreakGlass.user_id, at=BreakGlass.expires_at).where(
            BreakGlass.case_id == bindparam("case_id"), BreakGlass.user_id == bindparam("user_id")),
        row("l", ItemPerson.item_id, ItemPerson.person_id).where(
            ItemPerson.item_id.in_(bindparam("item_ids", expanding=True))),
    )
    return stmt.order_by(*(stmt.selected_columns[c] for c in ("kind", "id", "a")))


def load_links(db: Session, item_ids, case_id: int, user_id: int) -> tuple[dict[int, list[int]], list[BreakGlassRow]]:
    """The persons of *item_ids* (item id -> person ids in id order, every item named) and the break-glass
    openings *user_id* holds in case *case_id*, in one statement (built once per process)."""
    persons: dict[int, list[int]] = {item_id: [] for item_id in item_ids}
    openings: list[BreakGlassRow] = []
    for kind, id_, a, b, _n, _day, at, *_texts in db.execute(
            _links_statement(), {"item_ids": list(persons), "case_id": case_id, "user_id": user_id}):
        if kind == "l":
            persons[id_].append(a)
        else:
            openings.append(BreakGlassRow(id_, b, a, at))
    return persons, openings


@dataclass
class ItemRows:
    """What :func:`load_items` returns: the live items in id order, their persons, break-glass, authors."""

    items: list[ItemRow]
    item_persons: dict[int, list[int]]  # item id -> person ids, in id order
    break_glass: list[tuple[int, BreakGlassRow]]  # (case id, opening)
    authors: dict[int, str]  # author id -> name


def load_items(db: Session, item_ids, user_ids) -> ItemRows:
    """Chosen items (not destroyed) with their persons, and the break-glass openings *user_ids* hold on them,
    in one statement (built once per process). Items that do not exist or were destroyed are left out."""
    rows = ItemRows([], {}, [], {})
    if not item_ids:
        return rows
    for kind, id_, a, b, n, day, at, t1, t2, t3, _t4 in db.execute(
            _items_statement(), {"item_ids": sorted(set(item_ids)), "user_ids": sorted(set(user_ids))}):
        if kind == "i":
            rows.items.append(ItemRow(id_, n, t1, t2, a, b, day, at))
            if b is not None and t3 is not None:
                rows.authors[b] = t3
        elif kind == "l":
            rows.item_persons.setdefault(id_, []).append(a)
        else:
            rows.break_glass.append((n, BreakGlassRow(id_, b, a, at)))
    rows.item_persons = {i.id: rows.item_persons.get(i.id, []) for i in rows.items}
    return rows


def load(db: Session, case_id: int, user_id: int) -> ViewRows:
    """The rows of one case's view for one viewer, in one statement (built once per process)."""
    rows = ViewRows([], [], {}, [], {})
    for kind, id_, a, b, _n, day, at, t1, t2, t3, t4 in db.execute(_statement(),
                                                                  {"case_id": case_id, "user_id": user_id}):
        if kind == "i":
            rows.items.append(ItemRow(id_, case_id, t1, t2, a, b, day, at))
            rows.item_persons[id_] = []
            if b is not None and t3 is not None:
                rows.authors[b] = t3
        elif kind == "l":
            rows.item_persons[id_].append(a)
        elif kind == "p":
            rows.persons.append(PersonRow(id_, case_id, t1, t2, day, t4, t3, a))
        else:
            rows.break_glass.append(BreakGlassRow(id_, b, a, at))
    return rows
