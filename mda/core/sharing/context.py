"""The case context of the sharing engine: the facts of a case the rules read, loaded in a few statements and
kept for the unit of work (forgotten when the facts change), and loading a case or item or answering 404."""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import abort
from sqlalchemy import bindparam, event, inspect, union
from sqlmodel import Session, select

from mda.cases.models import (
    BreakGlass,
    Case,
    CaseMember,
    CaseOrganisation,
    Consent,
    ConsentRecipient,
    DutyConflictDecision,
    Item,
    ItemPerson,
    Person,
)
from mda.core.sharing import rows as view_rows
from mda.core.timeutil import as_utc, utcnow
from mda.organisations.models import Organisation, Region

if TYPE_CHECKING:
    from mda.auth.models import User
    from mda.core.sharing.rows import BreakGlassRow


@dataclass
class CaseContext:
    """Everything about one case that sharing decisions need, loaded once per request."""

    case: Case
    region_code: str
    circle_org_ids: set[int]
    member_user_ids: set[int]
    org_types: dict[int, str]
    org_names: dict[int, str]
    consents: dict[int, list[tuple[Consent, frozenset[int]]]]  # person id -> consents
    decisions: list[DutyConflictDecision]
    item_persons: dict[int, list[int]] = field(default_factory=dict)
    #: (user, item) -> an opening not yet expired (a model object or a row with its id and expiry)
    break_glass: dict[tuple[int, int], BreakGlass | BreakGlassRow] = field(default_factory=dict)
    #: organisation of each user who recorded a consent or decision (the source of its free text)
    user_orgs: dict[int, int] = field(default_factory=dict)
    #: the names of those users and of the coordinator (professionals, not client data), for pages
    user_names: dict[int, str] = field(default_factory=dict)
    #: the organisation the referral came from: source of the case's reason and goal
    text_source_org_id: int | None = None


def load_context(db: Session, case: Case) -> CaseContext:
    """Load circle, consents and decisions of *case* in a handful of queries."""
    return load_contexts(db, [case])[case.id]


_CONTEXT_CACHE = "mda_case_contexts"


def _forget_contexts(session, *_args) -> None:
    """The end of the unit of work makes the loaded contexts stale: load them again."""
    session.info.pop(_CONTEXT_CACHE, None)


for _name in ("after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(Session, _name, _forget_contexts)

#: the models a context is loaded from or holds rows of (see :func:`_context_statements`, the item loads):
#: a flush that adds, changes or deletes one of these makes the loaded contexts stale
_CONTEXT_MODELS: tuple[type, ...] = (Case, CaseOrganisation, CaseMember, Consent, ConsentRecipient,
                                     DutyConflictDecision, BreakGlass, Item, ItemPerson, Person, Organisation,
                                     Region)
#: changes of these attributes alone leave every context as it was: an item's text (a live minutes piece
#: saved) is not read by any context; its category, source, case and destruction are (or may be)
_CONTEXT_FREE_ATTRIBUTES: dict[type, frozenset[str]] = {Item: frozenset({"content"})}


@functools.cache
def _context_models() -> tuple[tuple[type, ...], frozenset[str]]:
    """:data:`_CONTEXT_MODELS` and users (the coordinator, the recorders' names and organisations), with their
    tables' names (built once)."""
    from mda.auth.models import User as UserModel

    models = (*_CONTEXT_MODELS, UserModel)
    return models, frozenset(m.__table__.name for m in models)


def _changed_beyond_free_attributes(obj) -> bool:
    free = _CONTEXT_FREE_ATTRIBUTES.get(type(obj))
    if free is None:
        return True
    return any(attr.key not in free and attr.history.has_changes() for attr in inspect(obj).attrs)


@event.listens_for(Session, "after_flush")
def _forget_contexts_after_flush(session, _flush_context) -> None:
    """Forget the loaded contexts when this flush wrote a row they are loaded from (a consent, a circle
    organisation, a decision ...); keep them when it wrote only other rows (a live piece, its revision,
    an item's text), so that the writer's own push does not load the same context again.

    Here (after the flush, before its bookkeeping is reset) ``new``, ``dirty`` and ``deleted`` still name
    what the flush wrote, with each attribute's history.
    """
    if _CONTEXT_CACHE not in session.info:
        return
    models, _tables = _context_models()
    if (any(isinstance(obj, models) for obj in session.new)
            or any(isinstance(obj, models) for obj in session.deleted)
            or any(isinstance(obj, models) and _changed_beyond_free_attributes(obj) for obj in session.dirty)):
        session.info.pop(_CONTEXT_CACHE, None)


@event.listens_for(Session, "do_orm_execute")
def _forget_contexts_on_statement(state) -> None:
    """A statement that writes without the unit of work's objects (``update(Consent)``, raw SQL): forget the
    contexts unless it is an ORM insert, update or delete of a table no context is loaded from."""
    if state.is_select or _CONTEXT_CACHE not in state.session.info:
        return
    dml = state.is_insert or state.is_update or state.is_delete
    table = getattr(state.statement, "table", None) if dml else None
    if getattr(table, "name", None) in (None, *_context_models()[1]):
        state.session.info.pop(_CONTEXT_CACHE, None)


def load_contexts(db: Session, cases: list[Case]) -> dict[int, CaseContext]:
    """The contexts of several cases in the same handful of queries as one (meeting pages, feeds).

    Within one unit of work a context is loaded once until something it is loaded from is written
    (a consent, the circle, a decision ...: see :func:`_forget_contexts_after_flush`): the parts of a
    page (agenda, invitations, open actions) and a live save with its push then share it instead of
    each loading it again.
    """
    cache: dict[int, CaseContext] = db.info.setdefault(_CONTEXT_CACHE, {})
    wanted = {c.id: c for c in cases if c is not None}
    missing = [c for cid, c in wanted.items() if cid not in cache]
    if missing:
        cache.update(_load_contexts(db, missing))
    return {cid: cache[cid] for cid in wanted if cid in cache}


def _load_contexts(db: Session, cases: list[Case]) -> dict[int, CaseContext]:
    # Three statements whatever the number of cases: the small facts (region code, circle, named
    # professionals, involved organisations, organisation of each recorder and decider) as one
    # tagged union, then the consents with their recipients, then the decisions. The statements
    # are built once per process (only the ids change), which costs less than building them anew.
    by_id = {c.id: c for c in cases if c is not None}
    if not by_id:
        return {}
    facts, consent_rows, decision_rows = _context_statements()
    params = {"case_ids": list(by_id)}
    regions: dict[int, str] = {}
    circles: dict[int, set[int]] = defaultdict(set)
    members: dict[int, set[int]] = defaultdict(set)
    org_types: dict[int, str] = {}
    org_names: dict[int, str] = {}
    user_orgs: dict[int, int] = {}
    user_names: dict[int, str] = {}
    for kind, a, b, t1, t2 in db.exec(facts, params=params):
        if kind == "c":
            circles[a].add(b)
        elif kind == "m":
            members[a].add(b)
        elif kind == "o":
            org_types[a], org_names[a] = t1, t2
        elif kind == "u":
            user_orgs[a], user_names[a] = b, t1
        else:
            regions[a] = t1
    recipients: dict[int, set[int]] = defaultdict(set)
    rows: dict[int, Consent] = {}
    for consent, recipient in db.exec(consent_rows, params=params):
        rows.setdefault(consent.id, consent)
        if recipient is not None:
            recipients[consent.id].add(recipient)
    consents: dict[int, dict[int, list[tuple[Consent, frozenset[int]]]]] = defaultdict(lambda: defaultdict(list))
    for consent in rows.values():
        consents[consent.case_id][consent.person_id].append((consent, frozenset(recipients[consent.id])))
    decisions: dict[int, list[DutyConflictDecision]] = defaultdict(list)
    for dec in db.exec(decision_rows, params=params):
        decisions[dec.case_id].append(dec)
    return {case_id: CaseContext(
        case=case,
        region_code=regions.get(case.region_id, ""),
        circle_org_ids=circles[case_id],
        member_user_ids=members[case_id],
        org_types=dict(org_types),
        org_names=dict(org_names),
        consents=dict(consents[case_id]),
        decisions=decisions[case_id],
        user_orgs=user_orgs,
        user_names=user_names,
        text_source_org_id=case.source_organisation_id or user_orgs.get(case.coordinator_id),
    ) for case_id, case in by_id.items()}


@functools.cache
def _context_statements() -> tuple:
    """The three statements of :func:`_load_contexts` (built once), with the case ids as one expanding parameter."""
    from sqlalchemy import Integer, String, cast, literal_column, null, union_all

    from mda.auth.models import User as UserModel

    case_ids = bindparam("case_ids", expanding=True)

    def fact(kind: str, a, b=None, t1=None, t2=None):
        return select(literal_column(f"'{kind}'", String).label("kind"), a.label("a"),
                      (cast(null(), Integer) if b is None else b).label("b"),
                      (cast(null(), String) if t1 is None else t1).label("t1"),
                      (cast(null(), String) if t2 is None else t2).label("t2"))

    # whose organisation the context needs: the coordinators and who recorded, withdrew or decided
    recorders = union(
        select(Case.coordinator_id).where(Case.id.in_(case_ids)),
        select(Consent.recorded_by_id).where(Consent.case_id.in_(case_ids)),
        select(Consent.withdrawn_by_id).where(Consent.case_id.in_(case_ids), Consent.withdrawn_by_id.is_not(None)),
        select(DutyConflictDecision.decided_by_id).where(DutyConflictDecision.case_id.in_(case_ids),
                                                         DutyConflictDecision.revoked_at.is_(None)))
    facts = union_all(
        fact("r", Region.id, t1=Region.code).where(
            Region.id.in_(select(Case.region_id).where(Case.id.in_(case_ids)))),
        fact("c", CaseOrganisation.case_id, CaseOrganisation.organisation_id).where(
            CaseOrganisation.case_id.in_(case_ids), CaseOrganisation.removed_at.is_(None)),
        fact("m", CaseMember.case_id, CaseMember.user_id).where(
            CaseMember.case_id.in_(case_ids), CaseMember.removed_at.is_(None)),
        fact("o", Organisation.id, t1=Organisation.type_code, t2=Organisation.name).where(
            Organisation.id.in_(_involved_organisations(case_ids))),
        fact("u", UserModel.id, UserModel.organisation_id, UserModel.name).where(UserModel.id.in_(recorders)),
    )
    consent_rows = (select(Consent, ConsentRecipient.organisation_id)
                    .outerjoin(ConsentRecipient, ConsentRecipient.consent_id == Consent.id)
                    .where(Consent.case_id.in_(case_ids)).order_by(Consent.id))
    decision_rows = (select(DutyConflictDecision).where(DutyConflictDecision.case_id.in_(case_ids),
                                                        DutyConflictDecision.revoked_at.is_(None))
                     .order_by(DutyConflictDecision.id))
    return facts, consent_rows, decision_rows


def _involved_organisations(case_ids):
    """Ids of the organisations the cases' decisions and views can name: circle, sources, recipients."""
    from mda.auth.models import User as UserModel

    return union(
        select(CaseOrganisation.organisation_id).where(CaseOrganisation.case_id.in_(case_ids)),
        select(Item.source_organisation_id).where(Item.case_id.in_(case_ids)),
        select(Person.source_organisation_id).where(Person.case_id.in_(case_ids)),
        select(ConsentRecipient.organisation_id).join(Consent, Consent.id == ConsentRecipient.consent_id)
        .where(Consent.case_id.in_(case_ids)),
        select(DutyConflictDecision.organisation_id).where(DutyConflictDecision.case_id.in_(case_ids)),
        select(UserModel.organisation_id).join(Case, Case.coordinator_id == UserModel.id)
        .where(Case.id.in_(case_ids)),
    )


def load_organisations(db: Session | None, ctx: CaseContext, org_ids) -> None:
    """Add organisations the context does not know yet (e.g. one outside the circle named in a refusal)."""
    missing = {o for o in org_ids if o is not None and o not in ctx.org_names}
    if missing and db is not None:
        for o in db.exec(select(Organisation.id, Organisation.type_code, Organisation.name)
                         .where(Organisation.id.in_(missing))):
            ctx.org_types[o.id], ctx.org_names[o.id] = o.type_code, o.name


# the statements of a case view, built once (only the ids change): building them cost more than running them
_ITEMS = (select(Item).where(Item.case_id == bindparam("case_id"), Item.destroyed_at.is_(None))
          .order_by(Item.category, Item.recorded_on, Item.id))


def _load_items(db: Session, ctx: CaseContext, user: User) -> list[Item]:
    items = list(db.exec(_ITEMS, params={"case_id": ctx.case.id}))
    if items:
        # each item's persons as stored now (replacing what an earlier load in this unit of work put there:
        # the context outlives flushes that do not touch it, and a second load must not count a person twice)
        persons, openings = view_rows.load_links(db, [i.id for i in items], ctx.case.id, user.id)
        ctx.item_persons.update(persons)
        _keep_break_glass(ctx, openings)
    return items


def _keep_break_glass(ctx: CaseContext, grants) -> None:
    """Put the break-glass openings that have not yet expired in the context (rule 6 reads them there)."""
    now = utcnow()
    for bg in grants:
        if as_utc(bg.expires_at) > now:
            ctx.break_glass[(bg.user_id, bg.item_id)] = bg


def load_item_or_404(db: Session, user: User, ctx: CaseContext, item_id: int) -> Item:
    """An item of the case (not destroyed), with its persons and the user's break-glass loaded; else 404.

    The returned object is for decisions and services only; views show an item through
    :func:`item_view` or :func:`case_view`.
    """
    item = db.get(Item, item_id)
    if item is None or item.case_id != ctx.case.id or item.destroyed_at is not None:
        abort(404)
    # its persons and the user's break-glass openings of the case (one statement, built once per process)
    persons, openings = view_rows.load_links(db, [item.id], ctx.case.id, user.id)
    ctx.item_persons.update(persons)
    _keep_break_glass(ctx, openings)
    return item
