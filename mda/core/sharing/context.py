"""The case context of the sharing engine: the facts of a case the rules read, loaded in a few statements and
kept for the unit of work (forgotten when the facts change) and between requests under the case's access epochs;
and loading a case or item or answering 404.

Kept between requests (:func:`load_contexts`): a context's facts are read from the tables whose every write raises
the case's epoch or the epoch of everything (:mod:`mda.core.epoch`: the circle, consents and their recipients,
decisions, persons' and items' sources, accounts, organisations, regions), in the writer's own transaction,
whichever process writes. So a context loaded under epochs (e, f) is the case's context for as long as its epochs
read (e, f): a request reads the epochs of its cases (one statement) and builds each context again from the facts
kept under the same epochs, instead of reading them (three statements). The facts are plain records (consents and
decisions as :class:`~.rows.ConsentRow` and :class:`~.rows.DecisionRow`) that no session changes; each request
gets its own containers. Facts are kept only when the unit of work that read them had written none of these
tables (they may rest on what it has not committed), and are used for :data:`MAX_AGE` at most whatever the epochs
say (a write outside the application's sessions, e.g. a database restore). Break-glass openings (which run out
by the clock) and an item's persons are never kept here: they are read with the items, per request.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import datetime, timedelta
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
    from mda.core.sharing.rows import BreakGlassRow, ConsentRow, DecisionRow


@dataclass
class CaseContext:
    """Everything about one case that sharing decisions need, loaded once per request."""

    case: Case
    region_code: str
    circle_org_ids: set[int]
    member_user_ids: set[int]
    org_types: dict[int, str]
    org_names: dict[int, str]
    consents: dict[int, list[tuple[ConsentRow, frozenset[int]]]]  # person id -> consents
    decisions: list[DecisionRow]
    item_persons: dict[int, list[int]] = field(default_factory=dict)
    #: (user, item) -> an opening not yet expired (a model object or a row with its id and expiry)
    break_glass: dict[tuple[int, int], BreakGlass | BreakGlassRow] = field(default_factory=dict)
    #: organisation of each user who recorded a consent or decision (the source of its free text)
    user_orgs: dict[int, int] = field(default_factory=dict)
    #: the names of those users and of the coordinator (professionals, not client data), for pages
    user_names: dict[int, str] = field(default_factory=dict)
    #: the organisation the referral came from: source of the case's reason and goal
    text_source_org_id: int | None = None
    #: the facts this context was built from, kept under the case's epochs (None: not kept, see :func:`kept`)
    facts: _Kept | None = field(default=None, repr=False, compare=False)


def load_context(db: Session, case: Case) -> CaseContext:
    """Load circle, consents and decisions of *case* in a handful of queries."""
    return load_contexts(db, [case])[case.id]


_CONTEXT_CACHE = "mda_case_contexts"


_EPOCHS_READ = "mda_case_epochs_read"


def _forget_contexts(session, *_args) -> None:
    """The end of the unit of work makes the loaded contexts (and the epochs read) stale: load them again."""
    session.info.pop(_CONTEXT_CACHE, None)
    session.info.pop(_EPOCHS_READ, None)


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
    each loading it again. Between units of work, the facts are kept under the cases' access epochs
    (see the module's text): a request whose cases' epochs have not moved reads only those.
    """
    cache: dict[int, CaseContext] = db.info.setdefault(_CONTEXT_CACHE, {})
    wanted = {c.id: c for c in cases if c is not None}
    missing = [c for cid, c in wanted.items() if cid not in cache]
    if missing:
        cache.update(_kept_or_loaded(db, missing))
    return {cid: cache[cid] for cid in wanted if cid in cache}


#: how long kept facts are used at most, whatever the epochs say (a safety net, not the rule)
MAX_AGE = timedelta(seconds=60)
#: cases whose facts are kept per database and process; the oldest go first
MAX_KEPT = 5000
#: keep facts between requests (off: every unit of work reads them, as before the epochs)
KEEP = True


@dataclass(frozen=True, slots=True)
class _Kept:
    """The facts of one case's context as read under *epochs* (its case's and everything's), never changed:
    each request builds its own context (its own containers) from them."""

    epochs: tuple[int, int]
    at: datetime
    region_code: str
    circle_org_ids: frozenset[int]
    member_user_ids: frozenset[int]
    org_types: dict[int, str]
    org_names: dict[int, str]
    consents: dict[int, tuple[tuple[ConsentRow, frozenset[int]], ...]]
    decisions: tuple[DecisionRow, ...]
    user_orgs: dict[int, int]  # shared by the cases of one load, as in the contexts it built
    user_names: dict[int, str]
    #: what else of the case is read only from what the epochs cover, kept with the facts (:func:`kept`)
    more: dict[str, object] = field(default_factory=dict)


_kept_lock = threading.Lock()
_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> {case id: _Kept}


def forget_kept() -> None:
    """Forget every kept context of this process (tests; a process that wants to start over)."""
    with _kept_lock:
        _KEPT.clear()


def _kept_of(db: Session) -> dict[int, _Kept]:
    bind = db.get_bind()
    with _kept_lock:
        return _KEPT.setdefault(getattr(bind, "engine", bind), {})


def _kept_or_loaded(db: Session, cases: list[Case]) -> dict[int, CaseContext]:
    """The contexts of *cases*: built from the facts kept under their current epochs, the others loaded (and their
    facts kept, unless this unit of work wrote what they are read from)."""
    if not KEEP:
        return _load_contexts(db, cases)
    from mda.core import epoch

    # the epochs first (read with the case by :func:`load_case`, else now), then the facts: facts read after the
    # epochs are at least as new as they are
    read = db.info.get(_EPOCHS_READ, {})
    # (read again, which flushes first, when the unit of work holds changes not yet flushed: they may be to facts)
    if (all(c.id in read for c in cases) and len({read[c.id][1] for c in cases}) == 1
            and not (db.new or db.dirty or db.deleted)):
        epochs = (*(read[c.id][0] for c in cases), read[cases[0].id][1])
    else:
        epochs = epoch.read(db, [*(epoch.case_scope(c.id) for c in cases), epoch.EVERYTHING])
    if epoch.raised_here(db):  # this unit of work wrote what contexts are read from: read them, keep nothing
        return _load_contexts(db, cases)
    everything, now = epochs[-1], utcnow()
    kept = _kept_of(db)
    built: dict[int, CaseContext] = {}
    shared: dict[int, tuple[dict, dict]] = {}  # the users' dicts of one earlier load, copied once
    missing: list[Case] = []
    with _kept_lock:
        found = {c.id: kept.get(c.id) for c in cases}
    for case, case_epoch in zip(cases, epochs, strict=False):
        facts = found[case.id]
        if facts is not None and facts.epochs == (case_epoch, everything) and timedelta(0) <= now - facts.at < MAX_AGE:
            built[case.id] = _built(case, facts, shared)
        else:
            missing.append(case)
    if missing:
        loaded = _load_contexts(db, missing)
        built.update(loaded)
        by_case = dict(zip((c.id for c in cases), epochs, strict=False))
        copies: dict[int, tuple[dict, dict]] = {}  # the users' dicts the loaded contexts share, copied once
        fresh = {cid: _kept(ctx, (by_case[cid], everything), now, copies) for cid, ctx in loaded.items()}
        for cid, facts in fresh.items():
            loaded[cid].facts = facts
        with _kept_lock:
            if len(kept) + len(fresh) > MAX_KEPT:
                for cid in list(kept)[: max(len(fresh), MAX_KEPT // 10)]:
                    del kept[cid]
            kept.update(fresh)
    return built


def _kept(ctx: CaseContext, epochs: tuple[int, int], at: datetime, copies: dict[int, tuple[dict, dict]]) -> _Kept:
    users = copies.get(id(ctx.user_orgs))
    if users is None:
        users = copies[id(ctx.user_orgs)] = (dict(ctx.user_orgs), dict(ctx.user_names))
    return _Kept(epochs=epochs, at=at, region_code=ctx.region_code, circle_org_ids=frozenset(ctx.circle_org_ids),
                 member_user_ids=frozenset(ctx.member_user_ids), org_types=dict(ctx.org_types),
                 org_names=dict(ctx.org_names), consents={p: tuple(rows) for p, rows in ctx.consents.items()},
                 decisions=tuple(ctx.decisions), user_orgs=users[0], user_names=users[1])


def _built(case: Case, facts: _Kept, shared: dict[int, tuple[dict, dict]]) -> CaseContext:
    users = shared.get(id(facts.user_orgs))
    if users is None:
        users = shared[id(facts.user_orgs)] = (dict(facts.user_orgs), dict(facts.user_names))
    return CaseContext(
        case=case, region_code=facts.region_code, circle_org_ids=set(facts.circle_org_ids),
        member_user_ids=set(facts.member_user_ids), org_types=dict(facts.org_types), org_names=dict(facts.org_names),
        consents={p: list(rows) for p, rows in facts.consents.items()}, decisions=list(facts.decisions),
        user_orgs=users[0], user_names=users[1],
        text_source_org_id=case.source_organisation_id or users[0].get(case.coordinator_id), facts=facts)


_MISSING = object()


def kept(db: Session, ctx: CaseContext, key: str, load):
    """What ``load()`` returns for the case of *ctx*, kept with the context's facts under the same epochs.

    Only for what is read from the tables the case's epochs cover (:data:`mda.core.epoch.TRACKED`, the case's
    own rows and accounts, organisations, regions), and treated as read-only by every caller: the circle as a
    page shows it is one. Read anew when the context was not kept or this unit of work wrote what it rests on.
    """
    from mda.core import epoch

    facts = ctx.facts
    if facts is None or epoch.raised_here(db):
        return load()
    with _kept_lock:
        value = facts.more.get(key, _MISSING)
    if value is _MISSING:
        value = load()
        if not epoch.raised_here(db):
            with _kept_lock:
                facts.more[key] = value
    return value


def load_case(db: Session, case_id: int) -> Case | None:
    """The case *case_id* (None when there is none), with its epochs read in the same statement when contexts
    are kept (so that its context, if kept, costs no statement of its own)."""
    if not KEEP:
        return db.get(Case, case_id)
    return load_cases(db, [case_id]).get(case_id)


def load_cases(db: Session, case_ids) -> dict[int, Case]:
    """The cases of *case_ids* that exist, by id, with their epochs read in the same statement (see
    :func:`load_case`): a meeting's agenda."""
    case_ids = list(case_ids)
    if not case_ids:
        return {}
    if not KEEP:
        return {c.id: c for c in db.exec(select(Case).where(Case.id.in_(case_ids)))}
    read = db.info.setdefault(_EPOCHS_READ, {})
    found = {}
    for case, case_epoch, everything in db.execute(_cases_statement(), {"case_ids": case_ids}):
        read[case.id] = (case_epoch or 0, everything or 0)
        found[case.id] = case
    return found


@functools.cache
def _cases_statement():
    from sqlalchemy import String, cast, literal

    from mda.core.epoch import EVERYTHING, AccessEpoch

    def epoch_of(scope):
        return select(AccessEpoch.epoch).where(AccessEpoch.scope == scope).scalar_subquery()

    return select(Case, epoch_of(literal("case:") + cast(Case.id, String)), epoch_of(EVERYTHING)).where(
        Case.id.in_(bindparam("case_ids", expanding=True)))


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
    rows: dict[int, ConsentRow] = {}
    for row in db.execute(consent_rows, params):
        if row[0] not in rows:
            rows[row[0]] = view_rows.ConsentRow(*row[:-1])
        if row[-1] is not None:
            recipients[row[0]].add(row[-1])
    consents: dict[int, dict[int, list[tuple[ConsentRow, frozenset[int]]]]] = defaultdict(lambda: defaultdict(list))
    for consent in rows.values():
        consents[consent.case_id][consent.person_id].append((consent, frozenset(recipients[consent.id])))
    decisions: dict[int, list[DecisionRow]] = defaultdict(list)
    for row in db.execute(decision_rows, params):
        decisions[row[1]].append(view_rows.DecisionRow(*row))
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
    # plain rows in the records' order (the tables' columns): contexts are kept between requests
    consent_rows = (select(*(Consent.__table__.c[f.name] for f in dataclass_fields(view_rows.ConsentRow)),
                           ConsentRecipient.organisation_id)
                    .outerjoin(ConsentRecipient, ConsentRecipient.consent_id == Consent.id)
                    .where(Consent.case_id.in_(case_ids)).order_by(Consent.id))
    decision_rows = (select(*(DutyConflictDecision.__table__.c[f.name]
                              for f in dataclass_fields(view_rows.DecisionRow)))
                     .where(DutyConflictDecision.case_id.in_(case_ids), DutyConflictDecision.revoked_at.is_(None))
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
