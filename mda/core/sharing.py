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

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from flask import abort
from sqlalchemy import union
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
from mda.core import audit
from mda.core.timeutil import LOCAL_TZ, as_utc, format_local, utcnow
from mda.organisations.models import ORGANISATION_TYPES, Organisation, Region

if TYPE_CHECKING:
    from mda.auth.models import User

BREAK_GLASS_DURATION = timedelta(hours=4)


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
    break_glass: dict[tuple[int, int], BreakGlass] = field(default_factory=dict)  # (user, item)


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
    return "team_lead" in user.roles and user.organisation_id in ctx.circle_org_ids


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
    if "team_lead" in user.roles:
        id_sources.append(select(CaseOrganisation.case_id).where(
            CaseOrganisation.organisation_id == user.organisation_id, CaseOrganisation.removed_at.is_(None)))
    visible_ids = union(*id_sources).subquery()
    return select(Case).where(Case.id.in_(select(visible_ids.c[0])),
                              or_(Case.purged_at.is_(None), Case.coordinator_id == user.id))


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
    region = db.get(Region, case.region_id)
    circle = db.exec(select(CaseOrganisation.organisation_id).where(
        CaseOrganisation.case_id == case.id, CaseOrganisation.removed_at.is_(None))).all()
    members = db.exec(select(CaseMember.user_id).where(
        CaseMember.case_id == case.id, CaseMember.removed_at.is_(None))).all()
    consents: dict[int, list[tuple[Consent, frozenset[int]]]] = defaultdict(list)
    rows = db.exec(select(Consent).where(Consent.case_id == case.id)).all()
    recipients: dict[int, set[int]] = defaultdict(set)
    if rows:
        for rec in db.exec(select(ConsentRecipient).where(
                ConsentRecipient.consent_id.in_([c.id for c in rows]))):
            recipients[rec.consent_id].add(rec.organisation_id)
    for consent in rows:
        consents[consent.person_id].append((consent, frozenset(recipients[consent.id])))
    decisions = list(db.exec(select(DutyConflictDecision).where(
        DutyConflictDecision.case_id == case.id, DutyConflictDecision.revoked_at.is_(None))))
    orgs = {o.id: o for o in db.exec(select(Organisation))}
    return CaseContext(
        case=case,
        region_code=region.code if region else "",
        circle_org_ids=set(circle),
        member_user_ids=set(members),
        org_types={oid: o.type_code for oid, o in orgs.items()},
        org_names={oid: o.name for oid, o in orgs.items()},
        consents=dict(consents),
        decisions=decisions,
    )


def _load_items(db: Session, ctx: CaseContext, user: User) -> list[Item]:
    items = list(db.exec(select(Item).where(Item.case_id == ctx.case.id, Item.destroyed_at.is_(None))
                         .order_by(Item.category, Item.recorded_on, Item.id)))
    if items:
        for link in db.exec(select(ItemPerson).where(ItemPerson.item_id.in_([i.id for i in items]))):
            ctx.item_persons.setdefault(link.item_id, []).append(link.person_id)
        now = utcnow()
        for bg in db.exec(select(BreakGlass).where(BreakGlass.case_id == ctx.case.id,
                                                   BreakGlass.user_id == user.id)):
            if as_utc(bg.expires_at) > now:
                ctx.break_glass[(bg.user_id, bg.item_id)] = bg
    return items


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
                    basis = ("toestemming", f"toestemming van {consent.given_by} "
                             f"({consent.method}, {consent.given_on:%d-%m-%Y}, nr. {consent.id})")
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
                        f"doorbraak in acuut gevaar (tot {format_local(bg.expires_at, '%H:%M')}): {bg.reason}")
    if lapsed:
        state = "ingetrokken" if "ingetrokken" in lapsed else "verlopen"
        return Decision(False, withheld_reason=f"toestemming voor {cat.name} aan {recipient} is {state}")
    return Decision(False, withheld_reason=f"geen toestemming voor {cat.name} aan {recipient}")


def item_decision(user: User, ctx: CaseContext, item: Item) -> Decision:
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
    item: Item | None  # None when withheld: the content never leaves the server
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
class CaseView:
    """The case as one viewer may see it."""

    case: Case
    context: CaseContext
    persons: list[PersonView]
    items: list[ItemView]

    def items_by_category(self) -> dict[str, list[ItemView]]:
        grouped: dict[str, list[ItemView]] = {}
        for view in self.items:
            grouped.setdefault(view.category_name, []).append(view)
        return grouped


def person_view(user: User, ctx: CaseContext, person: Person) -> PersonView:
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
    persons = [p for p in db.exec(select(Person).where(Person.case_id == case.id,
                                                       Person.destroyed_at.is_(None)).order_by(Person.id))]
    person_views = [person_view(user, ctx, p) for p in persons]
    items = _load_items(db, ctx, user)
    if item_filter is not None:
        items = [i for i in items if i.id in item_filter]
    item_views = _item_views(db, user, ctx, items)
    _audit_view(db, user, case, person_views, item_views, channel)
    return CaseView(case, ctx, person_views, item_views)


def _item_views(db: Session, user: User, ctx: CaseContext, items: list[Item]) -> list[ItemView]:
    from mda.auth.models import User as UserModel

    cats = catalogue.categories()
    decisions = [(item, item_decision(user, ctx, item)) for item in items]
    author_ids = {i.author_id for i, d in decisions if d.visible and i.author_id is not None}
    authors = ({u.id: u.name for u in db.exec(select(UserModel).where(UserModel.id.in_(author_ids)))}
               if author_ids else {})
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


def load_item_or_404(db: Session, user: User, ctx: CaseContext, item_id: int) -> Item:
    """An item of the case (not destroyed), with its persons and the user's break-glass loaded; else 404.

    The returned object is for decisions and services only; views show an item through
    :func:`item_view` or :func:`case_view`.
    """
    item = db.get(Item, item_id)
    if item is None or item.case_id != ctx.case.id or item.destroyed_at is not None:
        abort(404)
    ctx.item_persons[item.id] = list(db.exec(select(ItemPerson.person_id).where(ItemPerson.item_id == item.id)))
    now = utcnow()
    for bg in db.exec(select(BreakGlass).where(BreakGlass.item_id == item.id, BreakGlass.user_id == user.id)):
        if as_utc(bg.expires_at) > now:
            ctx.break_glass[(bg.user_id, bg.item_id)] = bg
    return item


def item_view(db: Session, user: User, ctx: CaseContext, item_id: int, *, channel: str = "pagina") -> ItemView:
    """One item as *user* may see it (404 outside the circle or case); audited when it shows content."""
    if not can_open_case(user, ctx.case, ctx):
        abort(404)
    item = load_item_or_404(db, user, ctx, item_id)
    view = _item_views(db, user, ctx, [item])[0]
    if view.decision.visible:
        _audit_view(db, user, ctx.case, [], [view], channel)
    return view


def _audit_view(db: Session, user: User, case: Case, persons: list[PersonView],
                items: list[ItemView], channel: str) -> None:
    """One audit row per basis used, naming the items and persons seen on that basis."""
    groups: dict[tuple[str, str], tuple[list[str], set[int]]] = {}
    for p in persons:
        for what, decision in (("persoon", p.identity), ("adres", p.address_decision)):
            if decision.visible:
                objs, pids = groups.setdefault((decision.kind, decision.basis), ([], set()))
                objs.append(f"{what}:{p.id}")
                pids.add(p.id)
    for view in items:
        if view.decision.visible:
            objs, pids = groups.setdefault((view.decision.kind, view.decision.basis), ([], set()))
            objs.append(f"item:{view.id}")
            pids.update(view.person_ids)
    if not groups:
        audit.record(db, "view", user=user, object_type="case", object_id=case.id, case_id=case.id,
                     summary=f"casus {case.reference} bekeken via {channel}; geen persoonsgegevens zichtbaar")
    for (kind, basis), (objs, pids) in groups.items():
        audit.record(db, "view", user=user, object_type="case", object_id=case.id, case_id=case.id,
                     person_ids=sorted(pids), basis=f"{kind}: {basis}",
                     summary=f"casus {case.reference} via {channel}: {', '.join(objs)}"[:500])


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
    audit.record(db, "break_glass", user=user, object_type="item", object_id=item.id, case_id=ctx.case.id,
                 person_ids=ctx.item_persons.get(item.id, []), basis="doorbraak in acuut gevaar",
                 summary=f"doorbraak op item {item.id} ({item.category}): {reason}"[:500])
    return grant
