"""Case API views on the /api/v1 blueprint; the same loader, sharing engine and audit as the pages."""

from __future__ import annotations

import functools

from flask import abort, jsonify, request
from flask_login import current_user
from spectree import Response
from sqlalchemy import bindparam
from sqlmodel import select

from mda import db
from mda.api import bp
from mda.api.routes import ERRORS, WRITE_ERRORS, dutch_validation_error
from mda.auth.models import User
from mda.cases import search, services
from mda.cases.loaders import load_case
from mda.cases.models import PHASES, Case
from mda.cases.schemas import CaseDetail, CaseList, CaseQuery, ConsentIn, ConsentOut, WithdrawIn
from mda.core import paging, sharing, signals
from mda.core.permissions import require_permission
from mda.core.timeutil import as_utc
from mda.extensions import api_spec
from mda.organisations.models import Region


def _summary(case, coordinator: str) -> dict:
    """A case's summary, from the model object or a plain row with the same names (the case list)."""
    return dict(id=case.id, reference=case.reference, phase=case.phase, phase_name=PHASES.get(case.phase, case.phase),
                urgency=case.urgency, is_repeat=case.is_repeat, opened_at=_iso(case.opened_at),
                closed_at=_iso(case.closed_at), coordinator=coordinator)


@functools.cache
def _summary_rows():
    """The case list's page as plain rows with the coordinator's name, in one statement built once per process:
    a summary needs no model objects (``ids``: the page's case ids, from the engine's visibility statement)."""
    return (select(Case.id, Case.reference, Case.phase, Case.urgency, Case.is_repeat, Case.opened_at,
                   Case.closed_at, User.name.label("coordinator"))
            .join(User, User.id == Case.coordinator_id, isouter=True)
            .where(Case.id.in_(bindparam("ids", expanding=True))))


def _iso(value) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


def _person(p: sharing.PersonView) -> dict:
    return dict(id=p.id, role=p.role, role_name=p.role_name, shared=p.identity.visible,
                basis=p.identity.basis or None, niet_gedeeld=p.identity.withheld_reason or None,
                name=p.name, date_of_birth=p.date_of_birth.isoformat() if p.date_of_birth else None,
                bsn_masked=p.bsn_masked or None, address=p.address,
                address_basis=p.address_decision.basis or None,
                address_niet_gedeeld=p.address_decision.withheld_reason or None)


def _item(v: sharing.ItemView, documents: dict | None = None) -> dict:
    out = dict(id=v.id, category=v.category, category_name=v.category_name, special=v.special,
               source_organisation=v.source_organisation, person_ids=v.person_ids, shared=v.decision.visible)
    doc = (documents or {}).get(v.id)
    if v.item is None:  # withheld: nothing of the content leaves the server
        return {**out, "basis_kind": None, "basis": None, "content": None, "recorded_on": None, "author": None,
                "niet_gedeeld": f"niet gedeeld: {v.decision.withheld_reason}",
                "document": {"number": doc.number} if doc else None}
    return {**out, "basis_kind": v.decision.kind, "basis": v.decision.basis, "content": v.item.content,
            "recorded_on": v.item.recorded_on.isoformat(), "author": v.author or None, "niet_gedeeld": None,
            "document": dict(number=doc.number, content_type=doc.content_type, size=doc.size,
                             download=f"/api/v1/cases/{doc.case_id}/documents/{doc.item_id}/download")
            if doc else None}


def _text(t: sharing.TextView | None) -> dict:
    if t is None:
        return dict(text=None, category=None, basis=None, niet_gedeeld=None)
    return dict(text=t.text, category=t.category, basis=t.decision.basis or None,
                niet_gedeeld=t.decision.withheld_reason or None)


def _consent(c: sharing.ConsentView) -> dict:
    """A consent as the engine's view gives it: withheld free text is null."""
    return dict(id=c.id, person_id=c.person_id, person=c.person, given_by=c.given_by, purpose=c.purpose,
                shared=c.decision.visible, niet_gedeeld=c.decision.withheld_reason or None,
                method=c.method, status=c.status, categories=c.categories,
                recipient_organisation_ids=c.recipient_ids, given_on=c.given_on.isoformat(),
                valid_until=c.valid_until.isoformat() if c.valid_until else None,
                withdrawn_at=_iso(c.withdrawn_at), withdrawal_reason=c.withdrawal_reason)


def _decision(d: sharing.DecisionView) -> dict:
    return dict(id=d.id, organisation_id=d.organisation_id, organisation=d.organisation, category=d.category,
                person_id=d.person_id, person=d.person, decided_at=_iso(d.decided_at),
                valid_until=d.valid_until.isoformat() if d.valid_until else None, reason=d.reason,
                basis=d.decision.basis or None, niet_gedeeld=d.decision.withheld_reason or None)


@bp.get("/cases")
@require_permission("case.work")
@api_spec.validate(query=CaseQuery, resp=Response(HTTP_200=CaseList, **ERRORS), tags=["cases"],
                   before=dutch_validation_error)
def cases():
    """The caller's cases (their circles), each with id and pseudonymous reference.

    Oldest first (by id), paged: ``?page=`` (from 1) and ``?per_page=`` (default 50, at most
    200); the answer carries ``page``, ``per_page``, ``total``, ``pages`` and ``more`` (true when
    the list is longer than ``total``: lists are counted up to 1,000). Filters, as on the page:
    ``zoek`` (part of the reference), ``fase`` (phase code), ``regisseur`` (coordinator's account
    number), ``rol`` (``regie``, ``kring`` or ``organisatie``); a nonsense value is a 422.
    """
    s = db.session()
    filters = search.from_request()
    if request.args.get("regisseur") == "":  # the page's "all coordinators"; in the API the number or nothing
        filters.problems.append("Geef bij regisseur een accountnummer, of laat de parameter weg.")
    if filters.problems:
        abort(422, " ".join(filters.problems))
    page = paging.paginate_ids(s, search.case_ids(current_user, filters, newest_first=False),
                               lambda ids: s.execute(_summary_rows(), {"ids": ids}), *paging.page_args())
    return jsonify(cases=[_summary(row, row.coordinator or "") for row in page.items], **page.meta())


@bp.get("/cases/<int:case_id>")
@require_permission("case.work")
@api_spec.validate(resp=Response(HTTP_200=CaseDetail, **ERRORS), tags=["cases"])
def case_detail(case_id: int):
    """Persons and items as the caller may see them: each item with its basis, or why it is not shared."""
    s = db.session()
    case, ctx = sharing.load_case_or_404(s, current_user, case_id)
    view = sharing.case_view(s, current_user, case, ctx, channel="api")
    coordinator = s.get(User, case.coordinator_id)
    reason, goal = view.text("aanleiding"), view.text("doel")
    documents = signals.item_documents_of(s, case.id)
    return jsonify(**_summary(case, coordinator.name if coordinator else ""),
                   reason=reason.text if reason else None, goal=goal.text if goal else None,
                   reason_detail=_text(reason), goal_detail=_text(goal),
                   region=s.get(Region, case.region_id).name, persons=[_person(p) for p in view.persons],
                   items=[_item(v, documents) for v in view.items], consents=[_consent(c) for c in view.consents],
                   decisions=[_decision(d) for d in view.decisions])


def _load_for_work(case_id: int):
    """The case for a change: 404 outside the circle, 403 (audited) when the user may not work on it."""
    return load_case(case_id, "work")


@bp.post("/cases/<int:case_id>/consents")
@require_permission("case.work")
@api_spec.validate(json=ConsentIn, resp=Response(HTTP_201=ConsentOut, **WRITE_ERRORS), tags=["cases"],
                   before=dutch_validation_error)
def create_consent(case_id: int):
    """Record a consent (recipients must be in the circle, categories in the catalogue)."""
    _case, ctx = _load_for_work(case_id)
    body: ConsentIn = request.context.json
    consent = services.record_consent(
        db.session(), current_user, ctx, person_id=body.person_id, by_representative=body.by_representative,
        representative=body.representative, purpose=body.purpose, method=body.method,
        recipient_ids=body.recipient_organisation_ids, categories=body.categories, given_on=body.given_on,
        valid_until=body.valid_until)
    return jsonify(_consent(sharing.single_consent_view(db.session(), current_user, ctx, consent))), 201


@bp.post("/cases/<int:case_id>/consents/<int:consent_id>/withdraw")
@require_permission("case.work")
@api_spec.validate(json=WithdrawIn, resp=Response(HTTP_200=ConsentOut, **WRITE_ERRORS), tags=["cases"],
                   before=dutch_validation_error)
def withdraw_consent(case_id: int, consent_id: int):
    """Withdraw a consent; it stops being a basis at once."""
    _case, ctx = _load_for_work(case_id)
    if services.load_consent(db.session(), ctx, consent_id) is None:
        sharing.refuse_foreign(db.session(), current_user, "consent", consent_id, ctx)
    body: WithdrawIn = request.context.json
    consent = services.withdraw_consent(db.session(), current_user, ctx, consent_id, body.reason)
    return jsonify(_consent(sharing.single_consent_view(db.session(), current_user, ctx, consent)))
