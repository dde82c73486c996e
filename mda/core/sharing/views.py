"""The views of the sharing engine: what one viewer may see of a case, its persons, items, texts, consents and
decisions. Withheld content is ``None`` in the view and never leaves the server; every view is audited
(:mod:`.view_audit`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask import abort
from sqlmodel import Session, select

from mda.cases import catalogue
from mda.cases.models import (
    Case,
    Consent,
    ConsentRecipient,
    DutyConflictDecision,
    Item,
    Person,
)
from mda.core.sharing import rows as view_rows

if TYPE_CHECKING:
    from mda.auth.models import User
    from mda.core.sharing.rows import ItemRow, PersonRow
from mda.core import sharing as engine
from mda.core.sharing.context import _keep_break_glass, _load_items, load_context, load_item_or_404
from mda.core.sharing.rules import (
    CaseContext,
    Decision,
    _know_users,
    _today,
    can_open_case,
    consent_decision,
    consent_status,
    decide,
)
from mda.core.sharing.view_audit import _audit_view, case_person_ids


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
    # through the package: one patch of ``sharing.item_decision`` (tests count decisions) reaches every caller
    decisions = [(item, engine.item_decision(user, ctx, item)) for item in items]
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
