"""Versions of the plan: the coordinator proposes, a conference or the team leads approve.

A proposal is a snapshot of every entry and action, taken at a plan ``revision``. Approving
refuses a stale proposal (the plan changed since, or the approver looked at another
revision: the form carries the revision as an etag). A proposal is numbered per plan when
it is proposed and keeps its number once approved, so "Voorstel 3" becomes "Versie 3" (a
lapsed proposal keeps its number too, which is why approved versions may skip one). An
approved version is frozen (:class:`~mda.safety_plan.models.PlanVersion` refuses any later change).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, func, select

from mda.auth.models import User
from mda.auth.services import ServiceError
from mda.core import audit, sharing
from mda.core.timeutil import utcnow
from mda.organisations.models import Organisation
from mda.safety_plan.models import (
    PlanAction,
    PlanApproval,
    PlanEntry,
    PlanVersion,
    SafetyPlan,
)
from mda.safety_plan.services import get_or_create_plan, get_plan

ENTRY_FIELDS = ("id", "section", "text", "detail", "party_organisation_id", "party_is_family", "category",
                "source_organisation_id")
ACTION_FIELDS = ("id", "description", "category", "owner_user_id", "owner_organisation_id", "owner_is_family",
                 "deadline", "source_organisation_id")


def snapshot_plan(db: Session, plan: SafetyPlan) -> dict:
    """Every current entry and action of *plan*, as plain data (what a version freezes)."""
    entries = db.exec(select(PlanEntry).where(PlanEntry.plan_id == plan.id, PlanEntry.removed_at.is_(None))
                      .order_by(PlanEntry.section, PlanEntry.position, PlanEntry.id))
    actions = db.exec(select(PlanAction).where(PlanAction.plan_id == plan.id, PlanAction.removed_at.is_(None))
                      .order_by(PlanAction.deadline, PlanAction.id))
    return {
        "revision": plan.revision,
        "next_evaluation_on": plan.next_evaluation_on.isoformat() if plan.next_evaluation_on else None,
        "entries": [{f: getattr(e, f) for f in ENTRY_FIELDS} for e in entries],
        "actions": [{**{f: getattr(a, f) for f in ACTION_FIELDS}, "deadline": a.deadline.isoformat()}
                    for a in actions],
    }


def load_snapshot(version: PlanVersion) -> dict:
    """The stored snapshot of *version*."""
    return json.loads(version.snapshot)


def load_version(db: Session, ctx: sharing.CaseContext, version_id: int) -> PlanVersion | None:
    """A version of this case's plan, or None."""
    version = db.get(PlanVersion, version_id)
    return version if version is not None and version.case_id == ctx.case.id else None


def propose(db: Session, user: User, ctx: sharing.CaseContext) -> PlanVersion:
    """The coordinator proposes the current plan for approval (an earlier open proposal of an older revision
    lapses). Proposing a revision that is already open is refused, so its approvals are kept."""
    if user.id != ctx.case.coordinator_id:
        raise ServiceError("Alleen de procesregisseur van deze casus kan het plan ter vaststelling voorleggen.")
    plan = get_or_create_plan(db, ctx)
    snapshot = snapshot_plan(db, plan)
    if not snapshot["entries"] and not snapshot["actions"]:
        raise ServiceError("Het plan is nog leeg: voeg eerst voorwaarden, doelen of acties toe.")
    latest = db.exec(select(PlanVersion).where(PlanVersion.plan_id == plan.id, PlanVersion.status == "vastgesteld")
                     .order_by(PlanVersion.number.desc())).first()
    if latest is not None and latest.revision == plan.revision:
        raise ServiceError(f"Het plan is niet gewijzigd sinds versie {latest.number}; "
                           "er is niets nieuws vast te stellen.")
    open_proposals = list(db.exec(select(PlanVersion).where(PlanVersion.plan_id == plan.id,
                                                            PlanVersion.status == "voorgesteld")))
    current = next((v for v in open_proposals if v.revision == plan.revision), None)
    if current is not None:
        # proposing the same revision again (a second click) must not lapse the approvals already given
        which = f" (voorstel {current.number})" if current.number is not None else ""
        raise ServiceError(f"Dit plan ligt al ter vaststelling{which}; er is sindsdien niets gewijzigd.")
    for open_proposal in open_proposals:
        open_proposal.status = "vervallen"
    version = PlanVersion(plan_id=plan.id, case_id=ctx.case.id, revision=plan.revision,
                          number=_next_number(db, plan.id),
                          snapshot=json.dumps(snapshot, ensure_ascii=False), proposed_by_id=user.id,
                          proposed_at=utcnow())
    db.add(version)
    db.flush()
    audit.record(db, "create", user=user, object_type="plan_version", object_id=version.id, case_id=ctx.case.id,
                 summary=f"plan {ctx.case.reference}: voorstel {version.number} (revisie {plan.revision}) "
                         "ter vaststelling")
    return version


def required_organisations(db: Session, ctx: sharing.CaseContext) -> set[int]:
    """Circle organisations whose team lead must approve: those with an active team lead account."""
    leads = db.exec(select(User.organisation_id).where(User.organisation_id.in_(ctx.circle_org_ids),
                                                       User.active.is_(True),
                                                       User.roles_text.contains("team_lead"))).all()
    return set(leads)


def approvals(db: Session, version: PlanVersion) -> list[PlanApproval]:
    """The team leads' approvals of *version*."""
    return list(db.exec(select(PlanApproval).where(PlanApproval.version_id == version.id)
                        .order_by(PlanApproval.approved_at)))


@dataclass(frozen=True)
class Approver:
    """One approval of a version, as listed: who, for which organisation, when, and on what basis."""

    name: str
    organisation_id: int | None
    organisation: str
    at: datetime
    basis: str  # organisatie (a team lead for their organisation) | overleg (the conference, recorded)


def approvers(db: Session, version_list: list[PlanVersion]) -> dict[int, list[Approver]]:
    """Every approver of each version in *version_list* (team leads, and the coordinator recording the
    conference's decision), oldest first; two queries however many versions."""
    found: dict[int, list[Approver]] = {v.id: [] for v in version_list}
    if not found:
        return found
    for approval, name, organisation in db.exec(
            select(PlanApproval, User.name, Organisation.name)
            .join(User, User.id == PlanApproval.user_id)
            .join(Organisation, Organisation.id == PlanApproval.organisation_id)
            .where(PlanApproval.version_id.in_(list(found)))
            .order_by(PlanApproval.approved_at, PlanApproval.id)):
        found[approval.version_id].append(Approver(name, approval.organisation_id, organisation,
                                                   approval.approved_at, "organisatie"))
    in_conference = [v for v in version_list if v.approval_kind == "overleg" and v.approved_by_id]
    if in_conference:
        people = {row[0]: row[1:] for row in db.exec(
            select(User.id, User.name, User.organisation_id, Organisation.name)
            .join(Organisation, Organisation.id == User.organisation_id)
            .where(User.id.in_({v.approved_by_id for v in in_conference})))}
        for v in in_conference:
            name, org_id, organisation = people.get(v.approved_by_id, ("onbekend", None, ""))
            found[v.id].append(Approver(name, org_id, organisation, v.approved_at, "overleg"))
    return found


def approve(db: Session, user: User, ctx: sharing.CaseContext, version: PlanVersion, *, expected_revision: int,
            kind: str, meeting_id: int | None = None) -> PlanVersion:
    """Approve a proposal: ``overleg`` (the coordinator records the conference's decision) or
    ``teamleiders`` (a team lead approves for their organisation; the version is frozen once every
    circle organisation with a team lead approved). Stale proposals are refused."""
    if version.status == "vastgesteld":
        raise ServiceError(f"Deze versie is al vastgesteld (versie {version.number}); een vastgestelde versie "
                           "verandert niet meer.")
    if version.status != "voorgesteld":
        raise ServiceError("Dit voorstel is vervallen: er is een nieuwer voorstel. Open de nieuwste versie.")
    plan = get_plan(db, ctx)
    if plan is None or plan.revision != version.revision or expected_revision != version.revision:
        raise ServiceError("Het plan is gewijzigd sinds dit voorstel (of sinds u de pagina opende). "
                           "Vaststellen is niet gebeurd: laat de procesregisseur een nieuw voorstel maken "
                           "en bekijk dat eerst.")
    now = utcnow()
    if kind == "overleg":
        if user.id != ctx.case.coordinator_id:
            raise ServiceError("Alleen de procesregisseur legt vast dat het overleg het plan heeft vastgesteld.")
        _freeze(db, user, ctx, version, kind, meeting_id, now)
        return version
    if kind != "teamleiders":
        raise ServiceError("Kies hoe het plan is vastgesteld: in het overleg of door de teamleiders.")
    if "team_lead" not in user.roles or user.organisation_id not in ctx.circle_org_ids:
        raise ServiceError("Alleen teamleiders van de betrokken organisaties kunnen het plan goedkeuren.")
    done = {a.organisation_id for a in approvals(db, version)}
    if user.organisation_id in done:
        raise ServiceError("Uw organisatie heeft dit voorstel al goedgekeurd.")
    db.add(PlanApproval(version_id=version.id, organisation_id=user.organisation_id, user_id=user.id,
                        approved_at=now))
    db.flush()
    audit.record(db, "update", user=user, object_type="plan_version", object_id=version.id, case_id=ctx.case.id,
                 summary=f"plan {ctx.case.reference}: voorstel {version.number} goedgekeurd namens organisatie "
                         f"{user.organisation_id}")
    if required_organisations(db, ctx) <= done | {user.organisation_id}:
        _freeze(db, user, ctx, version, kind, meeting_id, now)
    return version


def _freeze(db: Session, user: User, ctx: sharing.CaseContext, version: PlanVersion, kind: str,
            meeting_id: int | None, now) -> None:
    if version.number is None:  # a proposal made before proposals were numbered
        version.number = _next_number(db, version.plan_id)
    version.status, version.approval_kind, version.meeting_id = "vastgesteld", kind, meeting_id
    version.approved_at, version.approved_by_id = now, user.id
    db.flush()
    audit.record(db, "update", user=user, object_type="plan_version", object_id=version.id, case_id=ctx.case.id,
                 summary=f"plan {ctx.case.reference}: versie {version.number} vastgesteld ({kind})")


def _next_number(db: Session, plan_id: int) -> int:
    """The next number of a plan's proposals and versions (one sequence for both)."""
    last = db.exec(select(func.max(PlanVersion.number)).where(PlanVersion.plan_id == plan_id)).one()
    return (last or 0) + 1


# ----------------------------------------------------------------------------- comparison
@dataclass
class Change:
    """One difference between two versions: added, changed or removed, for one entry or action."""

    kind: str  # toegevoegd | gewijzigd | verwijderd
    what: str  # regel | actie
    id: int
    before: dict | None
    after: dict | None
    fields: tuple[str, ...] = ()


def compare(old: dict, new: dict) -> list[Change]:
    """Entry by entry: what *new* added, changed (which fields) and removed compared with *old*."""
    changes: list[Change] = []
    for what, key, fields in (("regel", "entries", ENTRY_FIELDS), ("actie", "actions", ACTION_FIELDS)):
        before = {row["id"]: row for row in old.get(key, [])}
        after = {row["id"]: row for row in new.get(key, [])}
        for row_id, row in after.items():
            if row_id not in before:
                changes.append(Change("toegevoegd", what, row_id, None, row))
            else:
                diff = tuple(f for f in fields if before[row_id].get(f) != row.get(f))
                if diff:
                    changes.append(Change("gewijzigd", what, row_id, before[row_id], row, diff))
        changes.extend(Change("verwijderd", what, row_id, row, None) for row_id, row in before.items()
                       if row_id not in after)
    order = {"toegevoegd": 0, "gewijzigd": 1, "verwijderd": 2}
    return sorted(changes, key=lambda c: (order[c.kind], c.what, c.id))


def may_approve_as_team_lead(user: User, ctx: sharing.CaseContext) -> bool:
    """Is *user* a team lead of a circle organisation (who approves on its behalf)?"""
    return "team_lead" in user.roles and user.organisation_id in ctx.circle_org_ids


