"""The plan as one viewer may see it, built from :func:`mda.core.sharing.plan_entry_decision`.

Every channel (page, JSON, Word, e-mail) renders these views; none decides for itself. Withheld
content is ``None`` here and never leaves the server: the viewer gets the engine's "niet
gedeeld" reason instead. Showing plan content writes one audit row per basis used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

from sqlmodel import Session, func, select

from mda.auth.models import User
from mda.cases import catalogue
from mda.core import sharing
from mda.core.timeutil import LOCAL_TZ, format_local, utcnow
from mda.organisations.models import Organisation
from mda.safety_plan.models import (
    ACTION_STATUSES,
    DETAIL_LABELS,
    FAILURE_REASONS,
    OPEN_STATUSES,
    PARTY_LABELS,
    SECTIONS,
    PlanAction,
    PlanEntry,
    PlanVersion,
    SafetyPlan,
    SafetyScore,
)

FAMILY = "Het gezin"


def placeholder(decision: sharing.Decision) -> str:
    """The text shown instead of withheld content."""
    return f"Niet gedeeld: {decision.withheld_reason}"


@dataclass
class EntryView:
    """An entry as one viewer may see it; ``text``/``detail``/``party`` are None when withheld."""

    id: int
    section: str
    section_name: str
    category: str
    category_name: str
    special: bool
    decision: sharing.Decision
    text: str | None
    detail: str | None
    detail_label: str
    party: str | None
    party_label: str
    party_organisation_id: int | None
    party_is_family: bool
    source_organisation: str
    source_organisation_id: int

    @property
    def placeholder(self) -> str:
        return placeholder(self.decision)


@dataclass
class ActionView:
    """An action as one viewer may see it; description, owner and owner's organisation withheld without basis.

    Deadline and status are not personal data of the family and are always shown.
    """

    id: int
    case_id: int
    case_reference: str
    category: str
    category_name: str
    special: bool
    decision: sharing.Decision
    description: str | None
    owner: str | None
    owner_organisation: str | None
    owner_is_family: bool
    owner_user_id: int | None
    owner_organisation_id: int | None
    deadline: date
    status: str
    status_name: str
    failure_reason_name: str
    overdue: bool
    source_organisation: str
    source_organisation_id: int

    @property
    def placeholder(self) -> str:
        return placeholder(self.decision)

    @property
    def owner_label(self) -> str | None:
        """Who owns the action, in one phrase: "Naam (Organisatie)", "Organisatie (organisatie)" for an action
        of an organisation as a whole, or "Het gezin"; None when withheld."""
        if self.owner is None:
            return None
        if self.owner and self.owner_organisation:
            return f"{self.owner} ({self.owner_organisation})"
        if self.owner:
            return self.owner
        return f"{self.owner_organisation} (organisatie)" if self.owner_organisation else ""


@dataclass
class PlanView:
    """The plan of a case for one viewer."""

    case: object
    context: sharing.CaseContext
    plan: SafetyPlan | None
    entries: dict[str, list[EntryView]]
    actions: list[ActionView]
    action_total: int
    versions: list[PlanVersion] = field(default_factory=list)
    scores: list[tuple[str, dict[str, int]]] = field(default_factory=list)

    @property
    def latest_approved(self) -> PlanVersion | None:
        return next((v for v in self.versions if v.status == "vastgesteld"), None)

    @property
    def pending_proposal(self) -> PlanVersion | None:
        return next((v for v in self.versions if v.status == "voorgesteld"), None)

    @property
    def is_approved_as_is(self) -> bool:
        """Is the working plan exactly the latest approved version?"""
        latest = self.latest_approved
        return bool(latest and self.plan and latest.revision == self.plan.revision)


@dataclass
class ContactView:
    """The family's fixed contact person: the case's coordinator (procesregisseur) and her organisation.

    A professional's name and organisation are not client data. MDA++ stores no telephone number for a user, so
    ``phone`` stays None until a migration adds one; a document then names the person and the organisation."""

    name: str
    organisation: str
    role: str = "procesregisseur"
    phone: str | None = None


def contact_view(db: Session, ctx: sharing.CaseContext) -> ContactView:
    """The contact person of the case's family (its coordinator), from the case context when it holds her."""
    coordinator_id = ctx.case.coordinator_id
    name, org_id = ctx.user_names.get(coordinator_id), ctx.user_orgs.get(coordinator_id)
    if name is None or org_id is None:
        coordinator = db.get(User, coordinator_id)
        name, org_id = coordinator.name, coordinator.organisation_id
    organisation = ctx.org_names.get(org_id)
    if organisation is None:
        organisation = db.get(Organisation, org_id).name
    return ContactView(name=name, organisation=organisation)


def today() -> date:
    return utcnow().astimezone(LOCAL_TZ).date()


def _category(code: str):
    cat = catalogue.categories().get(code)
    return (cat.name if cat else code), bool(cat and cat.special)


def entry_view(user: User, ctx: sharing.CaseContext, entry) -> EntryView:
    """One entry (a :class:`PlanEntry` or a row of a stored version) as *user* may see it."""
    decision = sharing.plan_entry_decision(user, ctx, entry)
    name, special = _category(entry.category)
    party = FAMILY if entry.party_is_family else ctx.org_names.get(entry.party_organisation_id or -1, "")
    return EntryView(
        id=entry.id, section=entry.section, section_name=SECTIONS.get(entry.section, entry.section),
        category=entry.category, category_name=name, special=special, decision=decision,
        text=entry.text if decision.visible else None, detail=entry.detail if decision.visible else None,
        detail_label=DETAIL_LABELS.get(entry.section, "Toelichting"),
        party=party if decision.visible else None, party_label=PARTY_LABELS.get(entry.section, "Van"),
        party_organisation_id=entry.party_organisation_id if decision.visible else None,
        party_is_family=entry.party_is_family,
        source_organisation=ctx.org_names.get(entry.source_organisation_id, ""),
        source_organisation_id=entry.source_organisation_id)


def action_view(user: User, ctx: sharing.CaseContext, action, owner_names: dict[int, str],
                on: date | None = None) -> ActionView:
    """One action (a :class:`PlanAction` or a row of a stored version) as *user* may see it."""
    decision = sharing.plan_entry_decision(user, ctx, action)
    name, special = _category(action.category)
    status = getattr(action, "status", "open")
    if action.owner_is_family:
        owner, owner_org = FAMILY, None
    else:
        owner = owner_names.get(action.owner_user_id, "") if action.owner_user_id else ""
        owner_org = ctx.org_names.get(action.owner_organisation_id or -1, "")
    return ActionView(
        id=action.id, case_id=ctx.case.id, case_reference=ctx.case.reference, category=action.category,
        category_name=name, special=special, decision=decision,
        description=action.description if decision.visible else None,
        owner=owner if decision.visible else None, owner_organisation=owner_org if decision.visible else None,
        owner_is_family=action.owner_is_family,
        owner_user_id=action.owner_user_id if decision.visible else None,
        owner_organisation_id=action.owner_organisation_id if decision.visible else None,
        deadline=action.deadline, status=status, status_name=ACTION_STATUSES.get(status, status),
        failure_reason_name=FAILURE_REASONS.get(getattr(action, "failure_reason", None) or "", ""),
        overdue=status in OPEN_STATUSES and action.deadline < (on or today()),
        source_organisation=ctx.org_names.get(action.source_organisation_id, ""),
        source_organisation_id=action.source_organisation_id)


def user_names(db: Session, ids) -> dict[int, str]:
    """Names of the accounts *ids*, in one query."""
    ids = {i for i in ids if i}
    return {u.id: u.name for u in db.exec(select(User).where(User.id.in_(ids)))} if ids else {}


def action_query(case_id: int | None, *, status: str | None = None, overdue: bool = False):
    """The current actions of a case (of any case for ``None``: add your own filter), open ones first, then by
    deadline."""
    from sqlalchemy import case as sql_case

    stmt = select(PlanAction).where(PlanAction.removed_at.is_(None))
    if case_id is not None:
        stmt = stmt.where(PlanAction.case_id == case_id)
    if status:
        stmt = stmt.where(PlanAction.status == status)
    if overdue:
        stmt = stmt.where(PlanAction.status.in_(OPEN_STATUSES), PlanAction.deadline < today())
    open_first = sql_case((PlanAction.status.in_(OPEN_STATUSES), 0), else_=1)
    return stmt.order_by(open_first, PlanAction.deadline, PlanAction.id)


def plan_view(db: Session, user: User, ctx: sharing.CaseContext, *, channel: str = "pagina",
              page: int = 1, per_page: int | None = 50, status: str | None = None,
              overdue: bool = False, with_versions: bool = True, audit: bool = True) -> PlanView:
    """The plan of the case as *user* may see it (actions paged), audited per basis used.

    *audit* False: the caller shows only part of it and audits exactly that part with :func:`audit_plan_view`
    (the family export), so that the trail names what was shown and nothing else."""
    if not sharing.can_open_case(user, ctx.case, ctx):
        from flask import abort

        abort(404)
    plan = db.exec(select(SafetyPlan).where(SafetyPlan.case_id == ctx.case.id)).first()
    entries: dict[str, list[EntryView]] = {code: [] for code in SECTIONS}
    actions: list[ActionView] = []
    total = 0
    if plan is not None:
        for entry in db.exec(select(PlanEntry).where(PlanEntry.plan_id == plan.id, PlanEntry.removed_at.is_(None))
                             .order_by(PlanEntry.section, PlanEntry.position, PlanEntry.id)):
            entries.setdefault(entry.section, []).append(entry_view(user, ctx, entry))
        stmt = action_query(ctx.case.id, status=status, overdue=overdue)
        total = db.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()
        if per_page:
            stmt = stmt.offset((max(page, 1) - 1) * per_page).limit(per_page)
        rows = list(db.exec(stmt))
        names = user_names(db, {a.owner_user_id for a in rows})
        actions = [action_view(user, ctx, a, names) for a in rows]
    versions = (list(db.exec(select(PlanVersion).where(PlanVersion.case_id == ctx.case.id)
                             .order_by(PlanVersion.id.desc()).limit(20))) if with_versions else [])
    view = PlanView(case=ctx.case, context=ctx, plan=plan, entries=entries, actions=actions, action_total=total,
                    versions=versions, scores=score_history(db, ctx))
    if audit:
        audit_plan_view(db, user, ctx, [e for rows in entries.values() for e in rows], actions, channel)
    return view


def score_history(db: Session, ctx: sharing.CaseContext, limit: int = 24) -> list[tuple[str, dict[str, int]]]:
    """The last *limit* scoring rounds: (date label, organisation name -> score), oldest first.

    Which organisation scored what is not family data, and the circle sees it on the plan's legal ground.
    """
    rows = list(db.exec(select(SafetyScore).where(SafetyScore.case_id == ctx.case.id)
                        .order_by(SafetyScore.scored_at.desc(), SafetyScore.id).limit(limit * 12)))
    rounds: dict[str, tuple[object, dict[str, int]]] = {}
    for row in rows:
        when, scores = rounds.setdefault(row.round_key, (row.scored_at, {}))
        scores[ctx.org_names.get(row.organisation_id, "?")] = row.score
    ordered = sorted(rounds.values(), key=lambda r: r[0])[-limit:]

    return [(format_local(when, "%d-%m-%Y"), scores) for when, scores in ordered]


def audit_plan_view(db: Session, user: User, ctx: sharing.CaseContext, entries: list[EntryView],
                    actions: list[ActionView], channel: str, person_ids: list[int] | None = None) -> None:
    """One audit row per basis used, naming the entries and actions seen on that basis (never their text), with
    the persons of the case in ``audit_subject`` (the engine's :func:`~mda.core.sharing.audit_content_view`).
    *person_ids*: the case's persons when a page of several cases loaded them at once (None: loaded here)."""
    shown = [(e.decision, f"regel:{e.id}") for e in entries] + [(a.decision, f"actie:{a.id}") for a in actions]
    sharing.audit_content_view(db, user, ctx, shown, channel, object_type="safety_plan", object_id=ctx.case.id,
                               label=f"veiligheidsplan {ctx.case.reference}", person_ids=person_ids)


def snapshot_rows(snapshot: dict) -> tuple[list[SimpleNamespace], list[SimpleNamespace]]:
    """The entries and actions of a stored version as objects the view functions accept."""
    entries = [SimpleNamespace(**row) for row in snapshot.get("entries", [])]
    actions = []
    for row in snapshot.get("actions", []):
        row = dict(row)
        row["deadline"] = date.fromisoformat(row["deadline"])
        actions.append(SimpleNamespace(**row))
    return entries, actions
