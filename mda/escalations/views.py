"""Escalations as one viewer may see them, built from :func:`mda.core.sharing.decide`.

Positions, risk arguments, reasons of a step and the decision are content of the category
``escalatie`` with a source organisation (the party that wrote it, the decider's
organisation). Page and API render these views; withheld content is ``None`` and never
leaves the server. Showing content writes one audit row per basis used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from mda.auth.models import User
from mda.cases.models import Case
from mda.core import sharing
from mda.core.timeutil import as_utc
from mda.escalations import access, services
from mda.escalations import ladder as ladders
from mda.escalations.models import ESCALATION_CATEGORY, Escalation, EscalationStep


@dataclass
class Shown:
    """A piece of escalation content and the engine's decision about it."""

    decision: sharing.Decision
    value: str | None  # None when withheld

    @property
    def placeholder(self) -> str:
        return f"Niet gedeeld: {self.decision.withheld_reason}"

    @property
    def display(self) -> str:
        """What a page shows: the value, or the placeholder naming the missing basis."""
        return self.value if self.value is not None else self.placeholder


@dataclass
class PositionView:
    organisation: str
    organisation_id: int
    author: str | None
    text: Shown
    risk_argument: Shown
    created_at: datetime


@dataclass
class StepView:
    kind: str
    kind_name: str
    level: int
    at: datetime
    actor: str
    note: Shown | None


@dataclass
class EscalationView:
    esc: Escalation
    level: ladders.Level
    ladder: ladders.Ladder
    raiser_organisation: str
    other_organisation: str
    subject: Shown  # the raiser's short free-text label of the disputed subject
    positions: list[PositionView]
    steps: list[StepView]
    decision: Shown | None
    reasons: Shown | None
    decided_by: str
    acknowledged_by: list[str]
    deciders: list[str]
    missing_position: list[str] = field(default_factory=list)
    can_position: bool = False
    can_move_up: bool = False
    can_decide: bool = False
    can_acknowledge: bool = False
    can_withdraw: bool = False


def _shown(user: User, ctx: sharing.CaseContext, source_org_id: int | None, value: str | None) -> Shown:
    decision = sharing.decide(user, ctx, category=ESCALATION_CATEGORY, source_org_id=source_org_id or 0,
                              person_ids=())
    return Shown(decision, value if decision.visible else None)


def subject_shown(user: User, ctx: sharing.CaseContext, esc: Escalation) -> Shown:
    """The escalation's free-text subject: escalation content written by the raiser's organisation."""
    return _shown(user, ctx, esc.raiser_organisation_id, esc.subject_text)


def subject_views(db: Session, user: User, escalations: list[Escalation], *, channel: str = "pagina",
                  contexts: dict[int, sharing.CaseContext] | None = None) -> dict[int, Shown]:
    """The subjects of escalations of several cases for a list (escalation id -> shown), audited where one shows,
    in the same few statements whatever the number of rows (*contexts* by case id: those the caller has)."""
    contexts = dict(contexts or {})
    missing = {e.case_id for e in escalations} - contexts.keys()
    if missing:
        contexts.update(sharing.load_contexts(db, list(db.exec(select(Case).where(Case.id.in_(missing))))))
    result = {e.id: subject_shown(user, contexts[e.case_id], e) for e in escalations}
    shown = [e for e in escalations if result[e.id].value is not None]
    persons = sharing.case_person_ids(db, {e.case_id for e in shown}) if shown else {}
    for esc in shown:
        ctx = contexts[esc.case_id]
        sharing.audit_content_view(db, user, ctx, [(result[esc.id].decision, "onderwerp")], channel,
                                   object_type="escalation", object_id=esc.id, person_ids=persons.get(esc.case_id, []),
                                   label=f"escalatie {esc.reference} van {ctx.case.reference}")
    return result


def escalation_view(db: Session, user: User, ctx: sharing.CaseContext, esc: Escalation, *,
                    channel: str = "pagina") -> EscalationView:
    """The escalation with its content as the engine lets *user* see it (audited per basis)."""
    ladder = access.ladder_of(ctx)
    positions = services.positions(db, esc)
    steps = list(db.exec(select(EscalationStep).where(EscalationStep.escalation_id == esc.id)
                         .order_by(EscalationStep.at, EscalationStep.id)))
    acks = services.acks(db, esc)
    user_ids = ({p.author_id for p in positions} | {s.actor_id for s in steps if s.actor_id}
                | {a.user_id for a in acks} | ({esc.decided_by_id} if esc.decided_by_id else set()))
    names = {u.id: u.name for u in db.exec(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    org = ctx.org_names.get
    position_views = []
    for p in positions:
        text = _shown(user, ctx, p.organisation_id, p.text)
        position_views.append(PositionView(org(p.organisation_id, ""), p.organisation_id,
                                           names.get(p.author_id) if text.value is not None else None, text,
                                           _shown(user, ctx, p.organisation_id, p.risk_argument or ""),
                                           p.created_at))
    step_views = [StepView(s.kind, s.kind_name, s.level, s.at,
                           f"{names.get(s.actor_id, '')} ({org(s.source_organisation_id, '')})" if s.actor_id
                           else "MDA++ (automatisch)",
                           _shown(user, ctx, s.source_organisation_id, s.note) if s.note else None) for s in steps]
    decision = reasons = None
    if esc.decided_at is not None:
        decision = _shown(user, ctx, esc.decider_organisation_id, esc.decision)
        reasons = _shown(user, ctx, esc.decider_organisation_id, esc.reasons)
    have = {p.organisation_id for p in positions}
    level = ladder.level(esc.level)
    view = EscalationView(
        esc=esc, level=level, ladder=ladder, raiser_organisation=org(esc.raiser_organisation_id, ""),
        other_organisation=org(esc.other_organisation_id, ""), subject=subject_shown(user, ctx, esc),
        positions=position_views, steps=step_views,
        decision=decision, reasons=reasons,
        decided_by=(f"{names.get(esc.decided_by_id, '')} ({org(esc.decider_organisation_id, '')})"
                    if esc.decided_by_id else ""),
        acknowledged_by=[org(a.organisation_id, "") for a in acks],
        deciders=[f"{u.name} ({org(u.organisation_id, '')})" for u in access.deciders(db, ctx, esc)]
        if esc.is_open else [],
        missing_position=[org(o, "") for o in (esc.raiser_organisation_id, esc.other_organisation_id)
                          if o not in have])
    party = access.is_party(user, ctx, esc)
    view.can_position = esc.is_open and party and user.organisation_id not in have
    view.can_move_up = esc.is_open and esc.level < ladder.top and (party or access.is_decider(user, ctx, esc))
    view.can_decide = esc.is_open and access.is_decider(user, ctx, esc)
    view.can_acknowledge = (esc.status == "besluit" and party
                            and user.organisation_id not in {a.organisation_id for a in acks})
    view.can_withdraw = esc.is_open and services.may_withdraw(user, ctx, esc)
    _audit_view(db, user, ctx, esc, view, channel)
    return view


def _audit_view(db: Session, user: User, ctx: sharing.CaseContext, esc: Escalation, view: EscalationView,
                channel: str) -> None:
    """Through the engine's one audit of household content: the persons of the case named per piece seen."""
    shown = [(view.subject.decision, "onderwerp")]
    # short names of the pieces (audit_subject.kind holds 40 characters): the organisation by number
    shown += [(p.text.decision, f"standpunt org. {p.organisation_id}") for p in view.positions]
    shown += [(p.risk_argument.decision, f"risico org. {p.organisation_id}") for p in view.positions
              if p.risk_argument.value]
    shown += [(s.note.decision, f"toelichting {s.kind}") for s in view.steps if s.note is not None]
    shown += [(x.decision, what) for x, what in ((view.decision, "besluit"), (view.reasons, "redenen"))
              if x is not None]
    sharing.audit_content_view(db, user, ctx, shown, channel, object_type="escalation", object_id=esc.id,
                               label=f"escalatie {esc.reference} van {ctx.case.reference}")


def countdown(deadline: datetime, now: datetime) -> tuple[str, str]:
    """("nog 3 uur" | "2 dagen te laat", state) with state ``ok`` | ``soon`` | ``overdue``."""
    delta = as_utc(deadline) - as_utc(now)
    seconds = int(delta.total_seconds())
    late = seconds < 0
    seconds = abs(seconds)
    if seconds >= 2 * 86400:
        amount = f"{seconds // 86400} dagen"
    elif seconds >= 3600:
        hours = seconds // 3600
        amount = f"{hours} uur"
    else:
        amount = f"{max(seconds // 60, 1)} min."
    if late:
        return f"{amount} te laat", "overdue"
    return f"nog {amount}", "soon" if seconds <= 86400 else "ok"
