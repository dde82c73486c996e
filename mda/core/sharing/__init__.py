"""The sharing engine: the one place that decides who may open a case and see an item of it.

Every channel that lets personal data leave the server (pages, JSON API, socket events,
DOCX, ICS, e-mail) asks this module; nothing else reads items or persons for display.

Rules, in order (the first that applies is the basis shown to the viewer):

1. Only the circle opens a case: the coordinator, the professionals named in the circle,
   and team leads of an organisation in the circle. Everyone else gets 404 (and a
   ``denied`` audit row), never a hint that the case exists.
2. The source organisation always sees its own items.
3. A legal ground from the region's covenant matrix (``sharing/covenants/<REGION>.toml``)
   for the viewer's organisation type and the item's category. Special categories need
   an explicit rule; a wildcard covers only ordinary categories.
4. Consent of every person the item concerns (or their legal representative), valid today,
   naming the viewer's organisation and the item's category. Withdrawal works at once.
5. A recorded *conflict van plichten* decision for the viewer's organisation and category.
6. Break-glass: a professional who opened this withheld item in acute danger, with a reason,
   for a limited time.

Otherwise the item is not sent at all: the viewer gets a "niet gedeeld" placeholder that
names the missing basis. Every view writes audit rows naming the basis used.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from flask import abort
from sqlalchemy import bindparam, event, inspect, union
from sqlmodel import Session, or_, select

from mda.cases import catalogue
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
from mda.core import audit, view_rows
from mda.core.timeutil import LOCAL_TZ, as_utc, format_local, utcnow
from mda.organisations.models import ORGANISATION_TYPES, Organisation, Region

if TYPE_CHECKING:
    from mda.auth.models import User
    from mda.core.view_rows import BreakGlassRow, ItemRow, PersonRow

BREAK_GLASS_DURATION = timedelta(hours=4)

#: roles that open every case of their organisation's circles (team leads; managers and
#: bestuurders decide escalations on levels 2 and 3 of the ladder)
LEAD_ROLES = frozenset({"team_lead", "manager", "bestuurder"})


@dataclass(frozen=True)
class Decision:
    """May the viewer see this piece of personal data, and on what basis?"""

    visible: bool
    kind: str = ""  # bron | convenant | toestemming | conflict_van_plichten | doorbraak
    basis: str = ""  # shown to the viewer and written to the audit trail
    withheld_reason: str = ""  # "geen toestemming voor GGZ-gegevens aan Politie"


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


# ----------------------------------------------------------------------------- circle
def can_open_case(user: User, case: Case, ctx: CaseContext | None = None) -> bool:
    """Rule 1: the coordinator, named professionals, and team leads of circle organisations."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if case.purged_at is not None and user.id != case.coordinator_id:
        return False
    if user.id == case.coordinator_id:
        return True
    if ctx is None:
        ctx = load_context(Session.object_session(case), case)
    if user.id in ctx.member_user_ids and user.organisation_id in ctx.circle_org_ids:
        return True
    return bool(LEAD_ROLES & user.roles) and user.organisation_id in ctx.circle_org_ids


def possible_openers(contexts):
    """A SQL condition on ``User`` that every user who may open one of these cases meets (rule 1: the
    coordinator, the named professionals, leads of a circle organisation), so that a caller loads only
    those instead of every user of the circle organisations. It only narrows: :func:`can_open_case`
    still decides for each user loaded."""
    from sqlalchemy import and_, literal

    from mda.auth.models import User

    contexts = list(contexts)
    named = {ctx.case.coordinator_id for ctx in contexts} | set().union(*(ctx.member_user_ids for ctx in contexts))
    org_ids = set().union(*(ctx.circle_org_ids for ctx in contexts))
    padded = literal(" ") + User.roles_text + literal(" ")  # roles are space-separated
    leads = and_(User.organisation_id.in_(org_ids), or_(*(padded.like(f"% {role} %") for role in sorted(LEAD_ROLES))))
    return or_(User.id.in_(named), leads)


#: what a member of the circle may do to a case -> the permission it takes
MANAGE_PERMISSIONS = {"work": "case.work", "coordinate": "case.coordinate", "duty_conflict": "case.duty_conflict"}


def can_manage(user: User, ctx: CaseContext, action: str) -> bool:
    """May *user* change the case? Circle first (rule 1), then the role; coordinating is the coordinator's."""
    from mda.core.permissions import has_permission

    if not can_open_case(user, ctx.case, ctx) or not has_permission(user, MANAGE_PERMISSIONS[action]):
        return False
    return action != "coordinate" or user.id == ctx.case.coordinator_id


def visible_cases_query(user: User):
    """A select() of the cases *user* may open (rule 1), for lists and counts at scale.

    The ids come from a UNION of three indexed look-ups (coordinator, named member, team
    lead's organisation), which both SQLite and PostgreSQL answer without scanning ``case``.
    """
    id_sources = [
        select(Case.id).where(Case.coordinator_id == user.id),
        select(CaseMember.case_id).where(CaseMember.user_id == user.id, CaseMember.removed_at.is_(None)),
    ]
    if LEAD_ROLES & user.roles:
        id_sources.append(select(CaseOrganisation.case_id).where(
            CaseOrganisation.organisation_id == user.organisation_id, CaseOrganisation.removed_at.is_(None)))
    visible_ids = union(*id_sources).subquery()
    return select(Case).where(Case.id.in_(select(visible_ids.c[0])),
                              or_(Case.purged_at.is_(None), Case.coordinator_id == user.id))


def visible_case_ids(user: User, *, newest_first: bool = True, limit: int | None = None):
    """Rule 1 as a select() of case ids in id order, cheap for the first *limit* ids at any scale.

    Each source (coordinator, named member, team lead's organisation) is walked in id order
    through its index and cut at *limit* before the union, so a team lead whose organisation
    is in 40,000 circles costs the same as one in 40. Same rule as :func:`visible_cases_query`.
    The statement is built once per process (:func:`_visible_case_ids_statement`); only its values are bound here.
    """
    lead = bool(LEAD_ROLES & set(user.roles))
    values = {"user_id": user.id, "organisation_id": user.organisation_id}
    if limit is None:
        return _visible_case_ids_statement(newest_first, lead, False).params(**values)
    return _visible_case_ids_statement(newest_first, lead, True).params(**values, limit=limit)


@functools.cache
def _visible_case_ids_statement(newest_first: bool, lead: bool, limited: bool):
    """The statement of :func:`visible_case_ids` with its values as parameters (``user_id``, ``organisation_id``,
    ``limit``): building it took about 0.6 ms of Python, twice per paged list; binding takes microseconds."""
    def ordered(column, stmt):
        stmt = stmt.order_by(column.desc() if newest_first else column.asc())
        return (stmt.limit(bindparam("limit")) if limited else stmt).subquery().select()

    user_id = bindparam("user_id")
    # a purged case stays visible to its coordinator only; the purged cases are few (a partial index), so
    # each source is an index-only walk that skips them instead of a look-up of every case it passes
    purged_elsewhere = select(Case.id).where(Case.purged_at.is_not(None), Case.coordinator_id != user_id)
    sources = [
        ordered(Case.id, select(Case.id.label("case_id")).where(Case.coordinator_id == user_id)),
        ordered(CaseMember.case_id, select(CaseMember.case_id).where(
            CaseMember.user_id == user_id, CaseMember.removed_at.is_(None),
            CaseMember.case_id.not_in(purged_elsewhere))),
    ]
    if lead:
        sources.append(ordered(CaseOrganisation.case_id, select(CaseOrganisation.case_id).where(
            CaseOrganisation.organisation_id == bindparam("organisation_id"), CaseOrganisation.removed_at.is_(None),
            CaseOrganisation.case_id.not_in(purged_elsewhere))))
    ids = union(*sources).subquery()
    stmt = select(ids.c.case_id).order_by(ids.c.case_id.desc() if newest_first else ids.c.case_id.asc())
    return stmt.limit(bindparam("limit")) if limited else stmt


def load_case_or_404(db: Session, user: User, case_id: int) -> tuple[Case, CaseContext]:
    """The case with its sharing context, or 404 (with a ``denied`` audit row) outside the circle."""
    case = db.get(Case, case_id)
    ctx = load_context(db, case) if case is not None else None
    if case is None or not can_open_case(user, case, ctx):
        audit.record(db, "denied", user=user, object_type="case", object_id=case_id,
                     case_id=case.id if case is not None else None,
                     summary="casus geopend buiten de kring" if case is not None else "onbekende casus")
        abort(404)
    return case, ctx


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


# ----------------------------------------------------------------------------- decisions
def _today() -> date:
    return utcnow().astimezone(LOCAL_TZ).date()


def consent_is_valid(consent: Consent, today: date) -> bool:
    """Given, not withdrawn, and within its period of validity today."""
    return (consent.withdrawn_at is None and consent.given_on <= today
            and (consent.valid_until is None or consent.valid_until >= today))


def decide(user: User, ctx: CaseContext, *, category: str, source_org_id: int,
           person_ids: list[int] | tuple[int, ...], item_id: int | None = None,
           today: date | None = None) -> Decision:
    """May *user* see data of *category* from *source_org_id* about *person_ids*? Rules 2-6."""
    if not can_open_case(user, ctx.case, ctx):
        return Decision(False, withheld_reason="geen toegang tot deze casus")
    cat = catalogue.category(category)
    org_id, org_type = user.organisation_id, ctx.org_types.get(user.organisation_id, "")
    recipient = ORGANISATION_TYPES.get(org_type, org_type)
    if org_id == source_org_id:
        return Decision(True, "bron", "eigen organisatie (bron van het gegeven)")
    rule = catalogue.covenant(ctx.region_code).ground_for(org_type, cat)
    if rule is not None:
        return Decision(True, "convenant", rule.clause)
    today = today or _today()
    per_person: list[str] = []
    lapsed: list[str] = []
    for person_id in person_ids or [None]:
        basis = None
        for consent, recipients in ctx.consents.get(person_id, []):
            if org_id in recipients and category in consent.category_codes:
                if consent_is_valid(consent, today):
                    # the consent by its number: who gave it (a representative's name) is data
                    # about a person, decided in the consent view, never copied into a basis
                    basis = ("toestemming", f"toestemming nr. {consent.id} "
                             f"({consent.method}, {consent.given_on:%d-%m-%Y})")
                    break
                lapsed.append("ingetrokken" if consent.withdrawn_at else "verlopen")
        if basis is None:
            for dec in ctx.decisions:
                if (dec.organisation_id == org_id and dec.category == category
                        and dec.person_id in (None, person_id)
                        and (dec.valid_until is None or dec.valid_until >= today)):
                    basis = ("conflict_van_plichten", f"conflict van plichten (besluit nr. {dec.id} "
                             f"van {format_local(dec.decided_at, '%d-%m-%Y')})")
                    break
        if basis is None:
            per_person = []
            break
        per_person.append(basis)
    if per_person:
        kinds = {k for k, _ in per_person}
        kind = kinds.pop() if len(kinds) == 1 else "toestemming"
        return Decision(True, kind, "; ".join(sorted({b for _, b in per_person})))
    bg = ctx.break_glass.get((user.id, item_id)) if item_id is not None else None
    if bg is not None:
        return Decision(True, "doorbraak",
                        f"doorbraak in acuut gevaar (nr. {bg.id}, tot {format_local(bg.expires_at, '%H:%M')})")
    if lapsed:
        state = "ingetrokken" if "ingetrokken" in lapsed else "verlopen"
        return Decision(False, withheld_reason=f"toestemming voor {cat.name} aan {recipient} is {state}")
    return Decision(False, withheld_reason=f"geen toestemming voor {cat.name} aan {recipient}")


def item_decision(user: User, ctx: CaseContext, item: Item | ItemRow) -> Decision:
    """The decision for one item of the case."""
    return decide(user, ctx, category=item.category, source_org_id=item.source_organisation_id,
                  person_ids=ctx.item_persons.get(item.id, []), item_id=item.id)


# ----------------------------------------------------------------------------- views
@dataclass
class ItemView:
    """An item as one viewer may see it: the item itself only when visible."""

    id: int
    category: str
    category_name: str
    special: bool
    decision: Decision
    item: Item | ItemRow | None  # None when withheld: the content never leaves the server
    person_ids: list[int]
    source_organisation: str
    author: str = ""  # the professional who recorded it (only filled when visible)


@dataclass
class PersonView:
    """A person as one viewer may see them; withheld fields are None."""

    id: int
    role: str
    role_name: str
    identity: Decision
    address_decision: Decision
    name: str | None
    date_of_birth: date | None
    bsn_masked: str | None
    address: str | None


@dataclass
class TextView:
    """A free-text field of the case (reason, goal) as one viewer may see it."""

    kind: str  # aanleiding | doel
    category: str
    category_name: str
    decision: Decision
    text: str | None  # None when withheld
    #: the persons the text is about (every person of the case), named in the audit trail
    person_ids: list[int] = field(default_factory=list)


@dataclass
class ConsentView:
    """A consent as one viewer may see it: its free text only where the engine allows.

    The existence, status, categories and recipients of a consent are the basis of the
    sharing itself and shown to the circle; who gave it (a representative's name), its
    purpose and the reason of a withdrawal are personal data about the person.
    """

    id: int
    person_id: int
    person: str  # the person as this viewer may name them
    decision: Decision  # the person's identity (category huishouden) from the recorder
    withdrawal_decision: Decision
    given_by: str | None
    purpose: str | None
    withdrawal_reason: str | None
    method: str
    status: str
    categories: list[str]  # codes
    category_names: list[str]
    recipient_ids: list[int]
    recipients: list[str]
    given_on: date
    valid_until: date | None
    withdrawn_at: datetime | None
    recorded_by_id: int
    withdrawn_by_id: int | None

    @property
    def correctable(self) -> bool:
        """May this viewer correct its text? Only a consent in force whose text they may see (one cannot
        correct what one may not read); whether they may work on the case is the route's guard."""
        return self.withdrawn_at is None and self.decision.visible


@dataclass
class DecisionView:
    """A conflict-of-duties decision as one viewer may see it; its reasoning only where the engine allows."""

    id: int
    organisation_id: int
    organisation: str
    category: str
    category_name: str
    person_id: int | None
    person: str
    decision: Decision  # data of the decision's category about its person(s), from the decider
    reason: str | None
    decided_by_id: int
    decided_at: datetime
    valid_until: date | None


@dataclass
class CaseView:
    """The case as one viewer may see it."""

    case: Case
    context: CaseContext
    persons: list[PersonView]
    items: list[ItemView]
    texts: list[TextView] = field(default_factory=list)
    consents: list[ConsentView] = field(default_factory=list)
    decisions: list[DecisionView] = field(default_factory=list)

    def items_by_category(self) -> dict[str, list[ItemView]]:
        grouped: dict[str, list[ItemView]] = {}
        for view in self.items:
            grouped.setdefault(view.category_name, []).append(view)
        return grouped

    def text(self, kind: str) -> TextView | None:
        """The reason (``aanleiding``) or goal (``doel``) view."""
        return next((t for t in self.texts if t.kind == kind), None)


def person_label(view: PersonView | None, person_id: int | None = None) -> str:
    """How a person is named to this viewer: the name when shared, else number and role."""
    if view is None:
        return f"persoon nr. {person_id}" if person_id else "alle personen"
    return f"{view.name} ({view.role_name})" if view.name else f"Persoon nr. {view.id} ({view.role_name})"


def person_view(user: User, ctx: CaseContext, person: Person | PersonRow) -> PersonView:
    """Identity (category *huishouden*) and address (category *adres*) of one person."""
    identity = decide(user, ctx, category="huishouden", source_org_id=person.source_organisation_id,
                      person_ids=[person.id])
    address = decide(user, ctx, category="adres", source_org_id=person.source_organisation_id,
                     person_ids=[person.id])
    return PersonView(
        id=person.id, role=person.role, role_name=person.role_name, identity=identity,
        address_decision=address,
        name=person.name if identity.visible else None,
        date_of_birth=person.date_of_birth if identity.visible else None,
        bsn_masked=person.bsn_masked if identity.visible else None,
        address=person.address if address.visible else None,
    )


def case_view(db: Session, user: User, case: Case, ctx: CaseContext | None = None, *,
              channel: str = "pagina", item_filter: set[int] | None = None) -> CaseView:
    """The visible view of *case* for *user*, audited per basis used (NEN 7513)."""
    ctx = ctx or load_context(db, case)
    if not can_open_case(user, case, ctx):
        abort(404)
    rows = view_rows.load(db, case.id, user.id)
    persons = rows.persons
    person_views = [person_view(user, ctx, p) for p in persons]
    ctx.item_persons.update(rows.item_persons)
    _keep_break_glass(ctx, rows.break_glass)
    items = rows.items if item_filter is None else [i for i in rows.items if i.id in item_filter]
    item_views = _item_views(db, user, ctx, items, rows.authors)
    view = CaseView(case, ctx, person_views, item_views)
    if item_filter is None:  # the whole case: its reason, goal, consents and decisions too
        view.texts = text_views(user, ctx, [p.id for p in persons])
        by_id = {p.id: p for p in person_views}
        view.consents = [consent_view(user, ctx, c, recipients, by_id.get(c.person_id))
                         for rows in ctx.consents.values() for c, recipients in rows if c.person_id in by_id]
        view.consents.sort(key=lambda c: c.id)
        view.decisions = [decision_view(user, ctx, d, by_id, [p.id for p in persons]) for d in ctx.decisions]
    _audit_view(db, user, case, view, channel)
    return view


def text_views(user: User, ctx: CaseContext, person_ids: list[int]) -> list[TextView]:
    """The case's reason and goal, each decided like an item about every person of the case."""
    case, cats, views = ctx.case, catalogue.categories(), []
    for kind, category, text in (("aanleiding", case.reason_category, case.reason),
                                 ("doel", case.goal_category, case.goal)):
        decision = decide(user, ctx, category=category, source_org_id=ctx.text_source_org_id or 0,
                          person_ids=person_ids)
        cat = cats.get(category)
        views.append(TextView(kind, category, cat.name if cat else category, decision,
                              text if decision.visible else None, list(person_ids)))
    return views


def case_texts_view(db: Session, user: User, ctx: CaseContext, *, channel: str = "pagina") -> list[TextView]:
    """The case's reason and goal as *user* may see them (the same decision as on the case page), audited
    per basis with every person of the case named; for pages that show (a version of) them without the case."""
    if not can_open_case(user, ctx.case, ctx):
        abort(404)
    texts = text_views(user, ctx, case_person_ids(db, [ctx.case.id]).get(ctx.case.id, []))
    _audit_view(db, user, ctx.case, CaseView(ctx.case, ctx, [], [], texts=texts), channel)
    return texts


def consent_status(consent: Consent, today: date) -> str:
    """geldig | nog niet geldig | verlopen | ingetrokken."""
    if consent.withdrawn_at:
        return "ingetrokken"
    if consent.given_on > today:
        return "nog niet geldig"
    return "geldig" if consent_is_valid(consent, today) else "verlopen"


def consent_decision(user: User, ctx: CaseContext, consent: Consent, today: date | None = None) -> Decision:
    """May *user* see who gave *consent* and its purpose? Data about the person (category *huishouden*) from
    the organisation of whoever recorded it: the decision of :func:`consent_view`, for services that must
    refuse a change of what the user may not see."""
    if consent.recorded_by_id not in ctx.user_orgs and (db := Session.object_session(consent)) is not None:
        _know_users(db, ctx, [consent.recorded_by_id])
    return decide(user, ctx, category="huishouden", source_org_id=ctx.user_orgs.get(consent.recorded_by_id, 0),
                  person_ids=[consent.person_id], today=today)


def consent_view(user: User, ctx: CaseContext, consent: Consent, recipients, person: PersonView | None,
                 today: date | None = None) -> ConsentView:
    """One consent for *user*: who gave it, its purpose and withdrawal reason only on a basis.

    They are data about the person (category *huishouden*), from the organisation of
    whoever recorded them (the withdrawer for the withdrawal reason).
    """
    today = today or _today()
    cats = catalogue.categories()
    recorder = ctx.user_orgs.get(consent.recorded_by_id, 0)
    decision = consent_decision(user, ctx, consent, today)
    withdrawal = decision
    if consent.withdrawn_by_id and ctx.user_orgs.get(consent.withdrawn_by_id) != recorder:
        withdrawal = decide(user, ctx, category="huishouden", person_ids=[consent.person_id], today=today,
                            source_org_id=ctx.user_orgs.get(consent.withdrawn_by_id, 0))
    codes = sorted(consent.category_codes)
    return ConsentView(
        id=consent.id, person_id=consent.person_id, person=person_label(person, consent.person_id),
        decision=decision, withdrawal_decision=withdrawal,
        given_by=consent.given_by if decision.visible else None,
        purpose=consent.purpose if decision.visible else None,
        withdrawal_reason=(consent.withdrawal_reason if withdrawal.visible else None) if consent.withdrawn_at else "",
        method=consent.method, status=consent_status(consent, today), categories=codes,
        category_names=[cats[c].name if c in cats else c for c in codes],
        recipient_ids=sorted(recipients), recipients=sorted(ctx.org_names.get(o, "?") for o in recipients),
        given_on=consent.given_on, valid_until=consent.valid_until, withdrawn_at=consent.withdrawn_at,
        recorded_by_id=consent.recorded_by_id, withdrawn_by_id=consent.withdrawn_by_id)


def decision_view(user: User, ctx: CaseContext, dec: DutyConflictDecision, persons: dict[int, PersonView],
                  all_person_ids: list[int]) -> DecisionView:
    """One conflict-of-duties decision: its reasoning is data of its category about its person(s)."""
    cat = catalogue.categories().get(dec.category)
    decision = decide(user, ctx, category=dec.category, source_org_id=ctx.user_orgs.get(dec.decided_by_id, 0),
                      person_ids=[dec.person_id] if dec.person_id else all_person_ids)
    return DecisionView(
        id=dec.id, organisation_id=dec.organisation_id, organisation=ctx.org_names.get(dec.organisation_id, "?"),
        category=dec.category, category_name=cat.name if cat else dec.category, person_id=dec.person_id,
        person=person_label(persons.get(dec.person_id), dec.person_id), decision=decision,
        reason=dec.reason if decision.visible else None, decided_by_id=dec.decided_by_id,
        decided_at=dec.decided_at, valid_until=dec.valid_until)


def _know_users(db: Session, ctx: CaseContext, user_ids) -> None:
    """Put the organisations of recorders the context does not know yet (a consent newer than it) in it."""
    from mda.auth.models import User as UserModel

    for uid in user_ids:
        if uid and uid not in ctx.user_orgs:
            ctx.user_orgs[uid] = db.get(UserModel, uid).organisation_id


def single_consent_view(db: Session, user: User, ctx: CaseContext, consent: Consent, *,
                        channel: str = "api") -> ConsentView:
    """One consent as *user* may see it (e.g. the answer to recording or withdrawing it), audited."""
    person = db.get(Person, consent.person_id)
    recipients = db.exec(select(ConsentRecipient.organisation_id)
                         .where(ConsentRecipient.consent_id == consent.id)).all()
    _know_users(db, ctx, [consent.recorded_by_id, consent.withdrawn_by_id])
    pv = person_view(user, ctx, person) if person is not None and person.destroyed_at is None else None
    view = consent_view(user, ctx, consent, recipients, pv)
    _audit_view(db, user, ctx.case, CaseView(ctx.case, ctx, [pv] if pv else [], [], consents=[view]), channel)
    return view


def _item_views(db: Session, user: User, ctx: CaseContext, items: list[Item] | list[ItemRow],
                authors: dict[int, str] | None = None) -> list[ItemView]:
    from mda.auth.models import User as UserModel

    cats = catalogue.categories()
    decisions = [(item, item_decision(user, ctx, item)) for item in items]
    if authors is None:
        author_ids = {i.author_id for i, d in decisions if d.visible and i.author_id is not None}
        authors = ({u.id: u.name for u in db.exec(select(UserModel.id, UserModel.name)
                                                  .where(UserModel.id.in_(author_ids)))} if author_ids else {})
    views = []
    for item, decision in decisions:
        cat = cats.get(item.category)
        views.append(ItemView(
            id=item.id, category=item.category, category_name=cat.name if cat else item.category,
            special=bool(cat and cat.special), decision=decision,
            item=item if decision.visible else None, person_ids=ctx.item_persons.get(item.id, []),
            source_organisation=ctx.org_names.get(item.source_organisation_id, ""),
            author=authors.get(item.author_id, "") if decision.visible else ""))
    return views


def item_views(db: Session, user: User, contexts: dict[int, CaseContext], item_ids,
               *, channel: str = "pagina") -> dict[int, ItemView]:
    """Several items of several cases (contexts by case id) as *user* may see them, in a few queries.

    Like :func:`item_view` for each item (audited when content shows; items of cases the user
    cannot open, of other cases or destroyed are left out), without queries per item or case.
    """
    return item_views_for_users(db, [user], contexts, item_ids, channel=channel)[user.id]


def item_views_for_users(db: Session, users: list[User], contexts: dict[int, CaseContext], item_ids,
                         *, channel: str = "pagina", addresses: dict[int, str] | None = None,
                         ) -> dict[int, dict[int, ItemView]]:
    """:func:`item_views` for several users at once (user id -> item id -> view), in the same few queries.

    The rows (items, their persons, the users' break-glass, the authors' names) are loaded once; the
    decision and the audit rows stay per user, exactly as :func:`item_views` makes them for one user.
    The live session uses it to build the views of everyone in a room after one change; *addresses*
    (user id -> client address) then names each user's own address in that user's audit rows.
    """
    result: dict[int, dict[int, ItemView]] = {u.id: {} for u in users}
    openers = {u.id: {case_id for case_id, ctx in contexts.items() if can_open_case(u, ctx.case, ctx)}
               for u in users}
    wanted_cases = set().union(*openers.values()) if openers else set()
    if not wanted_cases or not item_ids:
        return result
    rows = view_rows.load_items(db, item_ids, [u.id for u in users])  # items, persons, break-glass: one statement
    items = [i for i in rows.items if i.case_id in wanted_cases]
    if not items:
        return result
    persons = rows.item_persons
    now = utcnow()
    for case_id, bg in rows.break_glass:
        if as_utc(bg.expires_at) > now and case_id in contexts:
            contexts[case_id].break_glass[(bg.user_id, bg.item_id)] = bg
    authors = rows.authors
    by_case: dict[int, list[ItemRow]] = defaultdict(list)
    for item in items:
        by_case[item.case_id].append(item)
        contexts[item.case_id].item_persons[item.id] = persons.get(item.id, [])
    # Viewers the rules cannot tell apart get the same decisions: decided once per group, audited per user.
    decided: dict[tuple, tuple[list[ItemView], list[tuple[str, str, list]]]] = {}
    shown: dict[tuple, list[User]] = defaultdict(list)  # who was shown what each group was decided
    for user in users:
        for case_id in sorted(openers[user.id] & by_case.keys()):
            ctx = contexts[case_id]
            key = (case_id, decision_group(user, ctx, by_case[case_id], opens=True))  # openers: may open it
            if key not in decided:
                views = _item_views(db, user, ctx, by_case[case_id], authors)
                visible = [v for v in views if v.decision.visible]
                decided[key] = views, (_audit_groups(CaseView(ctx.case, ctx, [], visible)) if visible else [])
            views, groups = decided[key]
            if groups:
                shown[key].append(user)
            result[user.id].update({v.id: v for v in views})
    for (case_id, _group), viewers in shown.items():
        _record_views(db, viewers, contexts[case_id].case, decided[case_id, _group][1], channel, addresses)
    return result


def _record_views(db: Session, users: list[User], case: Case, groups: list[tuple[str, str, list]], channel: str,
                  addresses: dict[int, str] | None) -> None:
    """:func:`_record_view` for each of *users*, who were all shown the same: the rows are built for the first
    and copied for the others with their own user, organisation and address (*addresses*; None: the request's)."""
    def address(user: User) -> str | None:
        return addresses.get(user.id, "") if addresses is not None else None

    first, *others = users
    mark = audit.pending_mark(db)
    with audit.acting_from(address(first)):
        _record_view(db, first, case, groups, channel)
    rows = audit.pending_since(db, mark)
    organisations: dict[int | None, tuple[int | None, str]] = {}  # a room holds a few organisations, many users
    for user in others:
        key = getattr(user, "organisation_id", None)
        if key not in organisations:
            organisations[key] = audit.organisation_of(db, user)
        for entry in rows:
            audit.queue(db, entry.by(db, user, address(user), organisations[key]))


def decision_group(user: User, ctx: CaseContext, items: list[Item], *, opens: bool | None = None) -> tuple:
    """What :func:`decide` reads of *user* for these items of the case: users with the same group get the same
    decisions, so a batch decides once per group (the audit rows stay per user).

    The rules read of a viewer only whether they may open the case (rule 1: coordinator, named member, a lead of a
    circle organisation), their organisation (its type for the covenant; consents, recipients and conflict-of-duties
    decisions name organisations) and their own break-glass openings (rule 6, personal, with their own number in
    the basis). A viewer with a break-glass opening of one of *items* is a group of their own. A rule that reads
    more of the user must add it here (``tests/cases/test_engine_views.py`` compares groups with single users).
    *opens*: rule 1's answer for *user* when the caller has it already.
    """
    if any((user.id, item.id) in ctx.break_glass for item in items):
        return ("persoonlijk", user.id)
    return (can_open_case(user, ctx.case, ctx) if opens is None else opens, user.organisation_id)


@dataclass
class RevisionView:
    """A saved version of an item's text (a live piece's revision) as one viewer may see it."""

    version: int
    saved_at: datetime
    content: str | None  # None when the engine withholds the item
    reason: str | None  # the reason of a correction after the minutes were final (free text too)


def revision_views(view: ItemView, revisions) -> list[RevisionView]:
    """The saved versions of the item of *view* (already decided and audited by :func:`items_view`) as its
    viewer may see them: their texts only when the item shows; version numbers and times always."""
    shown = view.decision.visible
    return [RevisionView(r.version, r.saved_at, r.content if shown else None, r.reason if shown else None)
            for r in revisions]


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


def item_view(db: Session, user: User, ctx: CaseContext, item_id: int, *, channel: str = "pagina") -> ItemView:
    """One item as *user* may see it (404 outside the circle or case); audited when it shows content."""
    if not can_open_case(user, ctx.case, ctx):
        abort(404)
    item = load_item_or_404(db, user, ctx, item_id)
    view = _item_views(db, user, ctx, [item])[0]
    if view.decision.visible:
        _audit_view(db, user, ctx.case, CaseView(ctx.case, ctx, [], [view]), channel)
    return view


def items_view(db: Session, user: User, ctx: CaseContext, item_ids: set[int] | list[int], *,
               channel: str = "pagina") -> dict[int, ItemView]:
    """Several items of one case as *user* may see them (id -> view), audited per basis used.

    For channels that show a few chosen items (the live session, a plan) rather than the
    whole case: no person is shown or audited, and nothing is audited when nothing is visible.
    Ids that are not (or no longer) items of the case are left out.
    """
    if not can_open_case(user, ctx.case, ctx):
        abort(404)
    wanted = set(item_ids)
    if not wanted:
        return {}
    items = [i for i in _load_items(db, ctx, user) if i.id in wanted]
    views = _item_views(db, user, ctx, items)
    if any(v.decision.visible for v in views):
        _audit_view(db, user, ctx.case, CaseView(ctx.case, ctx, [], views), channel)
    return {v.id: v for v in views}


def _audit_view(db: Session, user: User, case: Case, view: CaseView, channel: str) -> None:
    """One audit row per basis used; every person and item shown is named in ``audit_subject``.

    The summary only counts; which persons, items, texts, consents and decisions were
    seen, and on what basis, is in the indexed link rows (no truncation).
    """
    _record_view(db, user, case, _audit_groups(view), channel)


def _audit_groups(view: CaseView) -> list[tuple[str, str, list]]:
    """What :func:`_audit_view` writes for *view*, per basis used: (kind, basis, subjects). The same for every
    viewer who got the same view, so a batch builds it once per group of viewers."""
    from mda.core.audit_subjects import Subject

    groups: dict[tuple[str, str], list[Subject]] = {}

    def add(decision: Decision, person_ids, item_id: int | None, what: str) -> None:
        basis = f"{decision.kind}: {decision.basis}"
        rows = groups.setdefault((decision.kind, decision.basis), [])
        rows += [Subject(pid, item_id, basis, what) for pid in person_ids] or [Subject(None, item_id, basis, what)]

    for p in view.persons:
        for what, decision in (("persoon", p.identity), ("adres", p.address_decision)):
            if decision.visible:
                add(decision, [p.id], None, what)
    for item in view.items:
        if item.decision.visible:
            add(item.decision, item.person_ids, item.id, "item")
    all_persons = [p.id for p in view.persons]
    for text in view.texts:
        if text.decision.visible and text.text:
            add(text.decision, text.person_ids or all_persons, None, text.kind)
    for consent in view.consents:
        if consent.decision.visible and (consent.given_by or consent.purpose):
            add(consent.decision, [consent.person_id], None, f"toestemming nr. {consent.id}")
        if consent.withdrawal_reason and consent.withdrawal_decision.visible:
            add(consent.withdrawal_decision, [consent.person_id], None, f"intrekking toestemming nr. {consent.id}")
    for dec in view.decisions:
        if dec.decision.visible and dec.reason:
            add(dec.decision, [dec.person_id] if dec.person_id else all_persons, None, f"besluit nr. {dec.id}")
    return [(kind, basis, subjects) for (kind, basis), subjects in groups.items()]


def case_person_ids(db: Session, case_ids) -> dict[int, list[int]]:
    """The persons (not destroyed) of each case, in one statement: whom content about the household is about."""
    result: dict[int, list[int]] = defaultdict(list)
    if case_ids:
        for case_id, person_id in db.exec(select(Person.case_id, Person.id).where(
                Person.case_id.in_(set(case_ids)), Person.destroyed_at.is_(None)).order_by(Person.id)):
            result[case_id].append(person_id)
    return result


def audit_content_view(db: Session, user: User, ctx: CaseContext, shown, channel: str, *, object_type: str,
                       object_id: int, label: str, person_ids: list[int] | None = None,
                       quiet: bool = False) -> None:
    """The audit of content about the household as a whole (plan entries and actions, escalation content),
    decided with :func:`decide` without single persons: one row per basis used, with every person of the case
    (*person_ids*; None: loaded) named in ``audit_subject`` for each piece seen, so that the view shows in each
    person's access log. *shown*: (decision, what) pairs, *what* naming the piece ("regel:12", "standpunt").
    Nothing visible: one row saying so, or none when *quiet* (a list that shows nothing personal)."""
    from mda.core.audit_subjects import Subject

    groups: dict[tuple[str, str], list[str]] = {}
    for decision, what in shown:
        if decision.visible:
            groups.setdefault((decision.kind, decision.basis), []).append(what)
    case = ctx.case
    if not groups:
        if not quiet:
            audit.record(db, "view", user=user, object_type=object_type, object_id=object_id, case_id=case.id,
                         summary=f"{label} bekeken via {channel}; geen inhoud zichtbaar")
        return
    if person_ids is None:
        person_ids = case_person_ids(db, [case.id]).get(case.id, [])
    head = f"{label} via {channel}: "
    for (kind, basis), whats in groups.items():
        full = f"{kind}: {basis}"
        for chunk in _chunks(whats, 500 - len(head)):  # a summary holds 500 characters: never cut a name off
            subjects = [Subject(pid, None, full, what) for what in chunk for pid in person_ids] or [
                Subject(None, None, full, what) for what in chunk]
            audit.record(db, "view", user=user, object_type=object_type, object_id=object_id, case_id=case.id,
                         person_ids=person_ids, basis=full, subjects=subjects, summary=head + ", ".join(chunk))


def _chunks(whats: list[str], width: int) -> list[list[str]]:
    """*whats* in as few groups as possible whose ', '-joined text is at most *width* characters."""
    chunks: list[list[str]] = []
    current: list[str] = []
    for what in whats:
        if current and len(", ".join([*current, what])) > width:
            chunks.append(current)
            current = []
        current.append(what)
    return [*chunks, current] if current else chunks


def _record_view(db: Session, user: User, case: Case, groups: list[tuple[str, str, list]], channel: str) -> None:
    """The audit rows of one viewer's view: one per basis in *groups* (or one saying nothing personal showed)."""
    if not groups:
        audit.record(db, "view", user=user, object_type="case", object_id=case.id, case_id=case.id,
                     summary=f"casus {case.reference} bekeken via {channel}; geen persoonsgegevens zichtbaar")
    for kind, basis, subjects in groups:
        pids = sorted({s.person_id for s in subjects if s.person_id is not None})
        n_items = len({s.item_id for s in subjects if s.item_id is not None})
        audit.record(db, "view", user=user, object_type="case", object_id=case.id, case_id=case.id,
                     person_ids=pids, basis=f"{kind}: {basis}", subjects=subjects,
                     summary=f"casus {case.reference} via {channel}: {len(pids)} persoon/personen, "
                             f"{n_items} gegeven(s), {len(subjects)} onderdelen (zie audit_subject)")


def open_break_glass(db: Session, user: User, ctx: CaseContext, item: Item, reason: str,
                     now: datetime | None = None) -> BreakGlass:
    """Rule 6: record a break-glass opening of a withheld item (the caller shows it afterwards)."""
    reason = reason.strip()
    if len(reason) < 10:
        raise ValueError("Beschrijf in minstens 10 tekens waarom er acuut gevaar is.")
    from mda.core.permissions import has_permission

    if not has_permission(user, "case.break_glass"):
        raise PermissionError("Alleen professionals en procesregisseurs kunnen een doorbraak gebruiken.")
    now = now or utcnow()
    grant = BreakGlass(case_id=ctx.case.id, item_id=item.id, user_id=user.id, reason=reason[:2000],
                       opened_at=now, expires_at=now + BREAK_GLASS_DURATION)
    db.add(grant)
    db.flush()
    # the reason is free text about persons: it stays in the break-glass record (which follows
    # retention), never in the append-only trail; the row refers to the record by its number
    audit.record(db, "break_glass", user=user, object_type="break_glass", object_id=grant.id, case_id=ctx.case.id,
                 person_ids=ctx.item_persons.get(item.id, []), basis="doorbraak in acuut gevaar",
                 subjects=[(pid, item.id, "doorbraak in acuut gevaar", "item")
                           for pid in ctx.item_persons.get(item.id, [])] or [(None, item.id, "doorbraak", "item")],
                 summary=f"doorbraak nr. {grant.id} op gegeven nr. {item.id} ({item.category})")
    return grant


# ----------------------------------------------------------------------------- safety plan
def plan_entry_decision(user: User, ctx: CaseContext, entry) -> Decision:
    """The decision for one entry or action of the safety plan (live, or a row of a stored version).

    *entry* has ``category`` and ``source_organisation_id``. Plan content is about the household
    as a whole, so the rules for the category apply (covenant for ``veiligheidsplan``; an entry
    marked with a special category needs an explicit basis); it is not linked to single persons.
    """
    return decide(user, ctx, category=entry.category, source_org_id=entry.source_organisation_id,
                  person_ids=())
