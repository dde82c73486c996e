"""Escalation API on /api/v1: the same loaders, services, engine views and audit as the pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from flask import jsonify, request
from flask_login import current_user
from pydantic import BaseModel, Field
from spectree import Response
from sqlmodel import func, select

from mda import db
from mda.api import bp
from mda.api.routes import ERRORS, WRITE_ERRORS, dutch_validation_error
from mda.api.schemas import MAX_ID, Error, Id, In, text
from mda.core import audit, refusal, sharing
from mda.core.permissions import require_permission
from mda.core.timeutil import as_utc
from mda.escalations import dashboards, services, views
from mda.escalations.models import SUBJECT_KINDS, URGENCIES, Escalation
from mda.escalations.routes import load_escalation, refused
from mda.extensions import api_spec

CONFLICT = {**WRITE_ERRORS, "HTTP_409": Error}


# ----------------------------------------------------------------------------- schemas
class Content(BaseModel):
    """Escalation content as the caller may see it: ``text`` null and ``niet_gedeeld`` set when withheld."""

    text: str | None = None
    basis: str | None = None
    niet_gedeeld: str | None = None


class PositionOut(BaseModel):
    organisation: str
    organisation_id: int
    author: str | None = None
    position: Content
    risk_argument: Content
    created_at: datetime


class StepOut(BaseModel):
    kind: str
    kind_name: str
    level: int
    at: datetime
    actor: str
    note: Content | None = None


class EscalationOut(BaseModel):
    """An escalation: pseudonymous subject label, state, level, deadline, positions, decision, timeline."""

    id: int
    reference: str
    case_id: int
    subject_kind: str
    subject_id: int | None = None
    subject: Content
    urgency: str
    status: str
    status_name: str
    level: int
    level_name: str
    deadline_at: datetime
    version: int
    raiser_organisation: str
    other_organisation: str
    positions: list[PositionOut] = []
    decision: Content | None = None
    reasons: Content | None = None
    decided_by: str | None = None
    plan_consequence: str | None = None
    plan_change_ref: str | None = None
    acknowledged_by: list[str] = []
    steps: list[StepOut] = []


class EscalationSummary(BaseModel):
    id: int
    reference: str
    case_id: int
    case_reference: str
    subject_kind: str
    urgency: str
    status: str
    level: int
    deadline_at: datetime
    countdown: str
    state: str


class EscalationList(BaseModel):
    escalations: list[EscalationSummary]
    total: int
    page: int


#: the version of an escalation the caller read (a stale one is refused with 409)
Version = Field(None, ge=0, le=MAX_ID, description="De versie die u las; een verouderde versie wordt geweigerd "
                                                  "(409, bijvoorbeeld twee beslissers tegelijk)")


class RaiseIn(In):
    subject_kind: Literal[tuple(SUBJECT_KINDS)]  # type: ignore[valid-type]
    subject_id: Id | None = None
    subject_text: text(300, description="Korte omschrijving zonder namen")
    urgency: Literal[tuple(URGENCIES)]  # type: ignore[valid-type]
    other_organisation_id: Id = Field(description="Een andere organisatie in de kring (anders 422)")
    position: text(4000)
    risk_argument: text(1000, required=False) = ""


class PositionIn(In):
    position: text(4000)
    risk_argument: text(1000, required=False) = ""
    version: int | None = Version


class ReasonIn(In):
    reason: text(2000)
    version: int | None = Version


class DecideIn(In):
    decision: text(4000)
    reasons: text(4000)
    consequence: Literal[tuple(services.PLAN_CONSEQUENCES)] = "geen"  # type: ignore[valid-type]
    consequence_text: text(4000, required=False) = ""
    version: int | None = Version


class VersionIn(In):
    version: int | None = Version


class FiguresOut(BaseModel):
    """Steering figures: counts and durations only (no names, no case references)."""

    start: date
    end: date
    total: int
    by_level: dict[str, int]
    by_urgency: dict[str, int]
    decided: int
    decided_at_level_1: int
    share_level_1_percent: float | None = None
    withdrawn: int
    open: int
    median_hours_to_decision: float | None = None
    mean_hours_to_decision: float | None = None


# ----------------------------------------------------------------------------- helpers
def _content(shown: views.Shown | None) -> dict | None:
    if shown is None:
        return None
    if shown.value is None:
        return {"text": None, "basis": None, "niet_gedeeld": shown.placeholder}
    return {"text": shown.value, "basis": f"{shown.decision.kind}: {shown.decision.basis}", "niet_gedeeld": None}


def _out(v: views.EscalationView) -> dict:
    esc = v.esc
    return dict(
        id=esc.id, reference=esc.reference, case_id=esc.case_id, subject_kind=esc.subject_kind,
        subject_id=esc.subject_id, subject=_content(v.subject), urgency=esc.urgency, status=esc.status,
        status_name=esc.status_name, level=esc.level, level_name=v.level.name,
        deadline_at=as_utc(esc.deadline_at).isoformat(), version=esc.version,
        raiser_organisation=v.raiser_organisation, other_organisation=v.other_organisation,
        positions=[dict(organisation=p.organisation, organisation_id=p.organisation_id, author=p.author,
                        position=_content(p.text), risk_argument=_content(p.risk_argument),
                        created_at=as_utc(p.created_at).isoformat()) for p in v.positions],
        decision=_content(v.decision), reasons=_content(v.reasons), decided_by=v.decided_by or None,
        plan_consequence=esc.plan_consequence, plan_change_ref=esc.plan_change_ref,
        acknowledged_by=v.acknowledged_by,
        steps=[dict(kind=s.kind, kind_name=s.kind_name, level=s.level, at=as_utc(s.at).isoformat(), actor=s.actor,
                    note=_content(s.note)) for s in v.steps])


def _view(case_id: int, escalation_id: int, status: int = 200):
    _case, ctx, esc = load_escalation(case_id, escalation_id)
    return jsonify(_out(views.escalation_view(db.session(), current_user, ctx, esc, channel="api"))), status


def _act(case_id: int, escalation_id: int, action, status: int = 200):
    _case, ctx, esc = load_escalation(case_id, escalation_id)
    refusal.when_refused(lambda exc: refused(esc, request.path.rsplit("/", 1)[-1]))
    action(ctx, esc, request.context.json)  # a stale version is a ConflictError: 409
    return jsonify(_out(views.escalation_view(db.session(), current_user, ctx, esc, channel="api"))), status


# ----------------------------------------------------------------------------- operations
@bp.get("/cases/<int:case_id>/escalations")
@require_permission("case.work")
@api_spec.validate(resp=Response(HTTP_200=EscalationList, **ERRORS), tags=["escalations"])
def api_case_escalations(case_id: int):
    """The escalations of a case (paged with ``page``), newest first."""
    case, _ctx = sharing.load_case_or_404(db.session(), current_user, case_id)
    page = max(int(request.args.get("page", "1")), 1) if request.args.get("page", "1").isdigit() else 1
    rows = db.session().exec(select(Escalation).where(Escalation.case_id == case.id)
                             .order_by(Escalation.id.desc()).offset((page - 1) * 50).limit(50)).all()
    total = db.session().exec(select(func.count()).select_from(Escalation).where(Escalation.case_id == case.id)).one()
    now = services.now()
    return jsonify(escalations=[_summary(e, case.reference, now) for e in rows], total=total, page=page)


def _summary(esc: Escalation, case_reference: str, now) -> dict:
    text, state = views.countdown(esc.deadline_at, now) if esc.is_open else ("", "closed")
    return dict(id=esc.id, reference=esc.reference, case_id=esc.case_id, case_reference=case_reference,
                subject_kind=esc.subject_kind, urgency=esc.urgency, status=esc.status, level=esc.level,
                deadline_at=as_utc(esc.deadline_at).isoformat(), countdown=text, state=state)


@bp.post("/cases/<int:case_id>/escalations")
@require_permission("case.work")
@api_spec.validate(json=RaiseIn, resp=Response(HTTP_201=EscalationOut, **WRITE_ERRORS), tags=["escalations"],
                   before=dutch_validation_error)
def api_raise(case_id: int):
    """Raise an escalation with the caller's position (the other party is notified)."""
    _case, ctx = sharing.load_case_or_404(db.session(), current_user, case_id)
    body: RaiseIn = request.context.json
    esc = services.raise_escalation(db.session(), current_user, ctx, subject_kind=body.subject_kind,
                                    subject_id=body.subject_id, subject_text=body.subject_text,
                                    urgency=body.urgency, other_organisation_id=body.other_organisation_id,
                                    position=body.position, risk_argument=body.risk_argument)
    return jsonify(_out(views.escalation_view(db.session(), current_user, ctx, esc, channel="api"))), 201


@bp.get("/cases/<int:case_id>/escalations/<int:escalation_id>")
@require_permission("case.work")
@api_spec.validate(resp=Response(HTTP_200=EscalationOut, **ERRORS), tags=["escalations"])
def api_escalation(case_id: int, escalation_id: int):
    """One escalation with positions, decision and timeline, as the engine lets the caller see them."""
    return _view(case_id, escalation_id)


@bp.post("/cases/<int:case_id>/escalations/<int:escalation_id>/positions")
@require_permission("case.work")
@api_spec.validate(json=PositionIn, resp=Response(HTTP_200=EscalationOut, **CONFLICT), tags=["escalations"],
                   before=dutch_validation_error)
def api_add_position(case_id: int, escalation_id: int):
    """The other party adds its position."""
    return _act(case_id, escalation_id, lambda ctx, esc, b: services.add_position(
        db.session(), current_user, ctx, esc, text=b.position, risk_argument=b.risk_argument,
        expected_version=b.version))


@bp.post("/cases/<int:case_id>/escalations/<int:escalation_id>/move-up")
@require_permission("case.work")
@api_spec.validate(json=ReasonIn, resp=Response(HTTP_200=EscalationOut, **CONFLICT), tags=["escalations"],
                   before=dutch_validation_error)
def api_move_up(case_id: int, escalation_id: int):
    """Naar volgend niveau, with a reason (refused at the top level)."""
    return _act(case_id, escalation_id, lambda ctx, esc, b: services.move_up(
        db.session(), current_user, ctx, esc, reason=b.reason, expected_version=b.version))


@bp.post("/cases/<int:case_id>/escalations/<int:escalation_id>/decision")
@require_permission("case.work")
@api_spec.validate(json=DecideIn, resp=Response(HTTP_200=EscalationOut, **CONFLICT),
                   tags=["escalations"], before=dutch_validation_error)
def api_decide(case_id: int, escalation_id: int):
    """Decide (deciders of the current level only); a stale ``version`` is refused with 409."""
    return _act(case_id, escalation_id, lambda ctx, esc, b: services.decide(
        db.session(), current_user, ctx, esc, decision=b.decision, reasons=b.reasons, consequence=b.consequence,
        consequence_text=b.consequence_text, expected_version=b.version))


@bp.post("/cases/<int:case_id>/escalations/<int:escalation_id>/acknowledge")
@require_permission("case.work")
@api_spec.validate(json=VersionIn, resp=Response(HTTP_200=EscalationOut, **CONFLICT), tags=["escalations"],
                   before=dutch_validation_error)
def api_acknowledge(case_id: int, escalation_id: int):
    """A party acknowledges the decision; after both, the escalation is closed."""
    return _act(case_id, escalation_id, lambda ctx, esc, b: services.acknowledge(
        db.session(), current_user, ctx, esc, expected_version=b.version))


@bp.post("/cases/<int:case_id>/escalations/<int:escalation_id>/withdraw")
@require_permission("case.work")
@api_spec.validate(json=ReasonIn, resp=Response(HTTP_200=EscalationOut, **CONFLICT), tags=["escalations"],
                   before=dutch_validation_error)
def api_withdraw(case_id: int, escalation_id: int):
    """The raiser withdraws the escalation, with a reason."""
    return _act(case_id, escalation_id, lambda ctx, esc, b: services.withdraw(
        db.session(), current_user, ctx, esc, reason=b.reason, expected_version=b.version))


@bp.get("/escalations/dashboard")
@require_permission("case.work")
@api_spec.validate(resp=Response(HTTP_200=EscalationList, **ERRORS), tags=["escalations"])
def api_dashboard():
    """Open escalations: ``view=beslissen`` (at the caller's level), ``partij`` or ``regie`` (coordinator)."""
    which = request.args.get("view", "beslissen")
    fn = {"beslissen": dashboards.for_decider, "partij": dashboards.for_party,
          "regie": dashboards.for_coordinator}.get(which, dashboards.for_decider)
    rows = fn(db.session(), current_user, services.now())
    page = max(int(request.args.get("page", "1")), 1) if request.args.get("page", "1").isdigit() else 1
    shown = rows[(page - 1) * 50: page * 50]
    return jsonify(escalations=[dict(_summary(r.esc, r.case_reference, services.now()), countdown=r.countdown,
                                     state=r.state) for r in shown], total=len(rows), page=page)


@bp.get("/escalations/steering")
@require_permission("escalation.steering")
@api_spec.validate(resp=Response(HTTP_200=FiguresOut, **ERRORS), tags=["escalations"])
def api_steering():
    """Steering figures of the caller's region for ``start``..``end`` (ISO dates): aggregates only."""
    from mda.escalations.routes import _period

    start, end = _period_api() or _period()
    f = dashboards.steering(db.session(), current_user, start, end)
    audit.record(db.session(), "view", user=current_user, object_type="escalation_figures", object_id="regio",
                 summary=f"stuurinformatie escalaties {start.isoformat()} t/m {end.isoformat()} via api")
    return jsonify(start=f.start.isoformat(), end=f.end.isoformat(), total=f.total,
                   by_level={str(k): v for k, v in f.by_level.items()}, by_urgency=f.by_urgency, decided=f.decided,
                   decided_at_level_1=f.decided_at_level_1, share_level_1_percent=f.share_level_1,
                   withdrawn=f.withdrawn, open=f.open, median_hours_to_decision=f.median_hours_to_decision,
                   mean_hours_to_decision=f.mean_hours_to_decision)


def _period_api():
    try:
        start, end = date.fromisoformat(request.args["start"]), date.fromisoformat(request.args["end"])
    except (KeyError, ValueError):
        return None
    return (start, end) if start <= end else (end, start)
