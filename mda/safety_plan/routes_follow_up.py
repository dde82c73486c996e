"""Versions and approval, Word exports, and "Mijn acties"."""

from __future__ import annotations

import logging
import subprocess

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import func, select

from mda import db
from mda.cases.models import Case
from mda.core import audit, paging, refusal, sharing
from mda.core.permissions import has_permission, require_permission
from mda.safety_plan import approval_notices, bp, export_docx, versions, views
from mda.safety_plan import export_pdf as export_pdf_module
from mda.safety_plan.access import load_case
from mda.safety_plan.forms import ApproveForm, ProposeForm
from mda.safety_plan.models import OPEN_STATUSES, PlanAction, PlanVersion
from mda.safety_plan.pages import (
    my_actions_page,
    my_actions_query,
    overview_query,
    page_number,
    plan_page,
)

log = logging.getLogger(__name__)

VERSIONS_PER_PAGE = 20
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# ----------------------------------------------------------------------------- versions
@bp.post("/casussen/<int:case_id>/plan/voorstellen")
@require_permission("case.coordinate")
def propose(case_id: int):
    """The coordinator proposes the current plan for approval."""
    case, ctx = load_case(case_id, "coordinate")
    if not ProposeForm().validate_on_submit():
        return plan_page(case, ctx, error="Het formulier is verlopen; probeer het opnieuw.", status=422)
    refusal.on_refusal(lambda exc: plan_page(case, ctx, status=exc.status))
    version = versions.propose(db.session(), current_user, ctx)
    approval_notices.notify_team_leads(db.session(), current_user, ctx, version)  # mailed after the commit
    flash(f"Het plan is ter vaststelling voorgelegd (voorstel {version.number}).", "success")
    return redirect(url_for("safety_plan.plan", case_id=case.id, _anchor="versies"))


@bp.post("/casussen/<int:case_id>/plan/versies/<int:version_id>/vaststellen")
@require_permission("plan.approve")
def approve(case_id: int, version_id: int):
    """Approve a proposal: in the conference (coordinator) or for one's organisation (team lead)."""
    case, ctx = load_case(case_id)
    version = _version_or_404(ctx, version_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        return plan_page(case, ctx, error="Het formulier is onvolledig of verlopen; laad de pagina opnieuw.",
                         status=422)
    refusal.on_refusal(lambda exc: plan_page(case, ctx, status=exc.status))
    versions.approve(db.session(), current_user, ctx, version, expected_revision=form.revision.data,
                     kind=form.kind.data, meeting_id=None)
    flash(f"Versie {version.number} van het plan is vastgesteld." if version.is_frozen
          else "Uw goedkeuring is vastgelegd; het plan wacht nog op de andere teamleiders.", "success")
    return redirect(url_for("safety_plan.plan", case_id=case.id, _anchor="versies"))


def _version_or_404(ctx, version_id: int) -> PlanVersion:
    version = versions.load_version(db.session(), ctx, version_id)
    if version is None:
        from flask import abort

        abort(404)
    return version


@bp.get("/casussen/<int:case_id>/plan/versies")
@require_permission("case.work")
def version_list(case_id: int):
    """Every version of the plan (paged), newest first."""
    case, ctx = load_case(case_id)
    s = db.session()
    page = page_number()
    stmt = select(PlanVersion).where(PlanVersion.case_id == case.id)
    total = s.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = list(s.exec(stmt.order_by(PlanVersion.id.desc()).offset((page - 1) * VERSIONS_PER_PAGE)
                       .limit(VERSIONS_PER_PAGE)))
    names = views.user_names(s, {v.proposed_by_id for v in rows})
    approvers = versions.approvers(s, rows)
    audit.record(s, "view", user=current_user, object_type="safety_plan", object_id=case.id, case_id=case.id,
                 summary=f"versies van het veiligheidsplan {case.reference} bekeken (pagina {page})")
    return render_template("safety_plan/versions.html", case=case, versions=rows, names=names, approvers=approvers,
                           page=page,
                           pages=max(1, -(-total // VERSIONS_PER_PAGE)))


@bp.get("/casussen/<int:case_id>/plan/versies/<int:version_id>")
@require_permission("case.work")
def version_detail(case_id: int, version_id: int):
    """One version, compared entry by entry with an earlier one (``?met=<id>``, default: the one before)."""
    case, ctx = load_case(case_id)
    s = db.session()
    version = _version_or_404(ctx, version_id)
    other_id = request.args.get("met", "")
    if other_id.isdigit():
        base = _version_or_404(ctx, int(other_id))
    else:
        base = s.exec(select(PlanVersion).where(PlanVersion.case_id == case.id, PlanVersion.id < version.id,
                                                PlanVersion.status == "vastgesteld")
                      .order_by(PlanVersion.id.desc())).first()
    new = versions.load_snapshot(version)
    old = versions.load_snapshot(base) if base else {"entries": [], "actions": []}
    changes = paging.paginate_list(versions.compare(old, new), *paging.page_args())
    rows = comparison_rows(s, ctx, changes.items)
    approvals = versions.approvals(s, version)
    names = views.user_names(s, {version.proposed_by_id, version.approved_by_id} | {a.user_id for a in approvals})
    return render_template("safety_plan/version.html", case=case, version=version, base=base, rows=rows,
                           changes=changes, compared_with=other_id if other_id.isdigit() else None,
                           approvals=approvals, names=names, org_names=ctx.org_names)


def comparison_rows(s, ctx, changes) -> list[dict]:
    """Each change as the viewer may see both sides (through the engine), audited as a view."""
    names = views.user_names(s, {(c.before or c.after or {}).get("owner_user_id") for c in changes}
                             | {(c.after or {}).get("owner_user_id") for c in changes})
    rows, seen_entries, seen_actions = [], [], []
    for change in changes:
        sides = []
        for row in (change.before, change.after):
            if row is None:
                sides.append(None)
                continue
            entries, actions = views.snapshot_rows({"entries": [row]} if change.what == "regel" else {"actions": [row]})
            if entries:
                side = views.entry_view(current_user, ctx, entries[0])
                seen_entries.append(side)
            else:
                side = views.action_view(current_user, ctx, actions[0], names)
                seen_actions.append(side)
            sides.append(side)
        rows.append({"change": change, "before": sides[0], "after": sides[1]})
    views.audit_plan_view(s, current_user, ctx, seen_entries, seen_actions, "versievergelijking")
    return rows


# ----------------------------------------------------------------------------- exports
@bp.get("/casussen/<int:case_id>/plan/export.docx")
@require_permission("plan.export")
def export_professional(case_id: int):
    """The plan as a Word document for professionals (only what the exporting user may see)."""
    return _export(case_id, "professioneel")


@bp.get("/casussen/<int:case_id>/plan/export-gezin.docx")
@require_permission("plan.export")
def export_family(case_id: int):
    """The family version in plain Dutch: conditions, goals and the family's own actions."""
    return _export(case_id, "gezin")


@bp.get("/casussen/<int:case_id>/plan/export.pdf")
@require_permission("plan.export")
def export_pdf(case_id: int):
    """The professional version as PDF, when LibreOffice is installed on the server."""
    if export_pdf_module.converter() is None:
        from flask import abort

        abort(404, "PDF-export is op deze server niet beschikbaar (LibreOffice ontbreekt). Gebruik de Word-export.")
    return _export(case_id, "professioneel", pdf=True)


def _export(case_id: int, kind: str, pdf: bool = False) -> Response:
    case, ctx = load_case(case_id)
    document = export_docx.build(db.session(), current_user, ctx, kind=kind, file_format="pdf" if pdf else "docx")
    mimetype = DOCX_TYPE
    if pdf:
        try:
            document = export_pdf_module.to_pdf(document)
        except (RuntimeError, OSError, subprocess.SubprocessError):
            log.exception("PDF conversion failed")
            db.rollback()
            from flask import abort

            abort(503)
        mimetype = "application/pdf"
    return Response(document.content, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{document.filename}"', "Cache-Control": "no-store"})


# ----------------------------------------------------------------------------- my actions








@bp.get("/mijn-acties")
@require_permission("case.work")
def my_actions():
    """Every action the user owns, open and overdue first."""
    return my_actions_page()


def home_panel(user):
    """Start-page panel: how many open and overdue actions the user owns (counts only)."""
    if not has_permission(user, "case.work"):
        return None
    s = db.session()
    open_count = s.exec(select(func.count()).select_from(
        my_actions_query(user, status=None).where(PlanAction.status.in_(OPEN_STATUSES)).order_by(None)
        .subquery())).one()
    overdue_count = s.exec(select(func.count()).select_from(
        my_actions_query(user, overdue=True).order_by(None).subquery())).one()
    from mda.safety_plan.organisation import organisation_actions_query

    organisation_count = s.exec(select(func.count()).select_from(
        organisation_actions_query(user).where(PlanAction.status.in_(OPEN_STATUSES)).order_by(None).subquery())).one()
    attention = (s.exec(select(func.count()).select_from(overview_query(user).order_by(None).subquery())).one()
                 if has_permission(user, "case.coordinate") else None)
    return "safety_plan/_home_panel.html", {"open": open_count, "overdue": overdue_count,
                                            "organisation": organisation_count, "attention": attention}


# ----------------------------------------------------------------------------- meetings
MEETING_ACTIONS_PER_CASE = 10


def meeting_page_open_actions(meeting, *, view, **_extra) -> dict:
    """The open actions under the agenda item "Openstaande acties" (``safety_plan/_meeting_open_actions.html``),
    gathered once for the meeting page (:data:`mda.core.signals.meeting_page`) when its agenda has that item."""
    if not any(iv.item.kind != "casus" and iv.item.title.startswith("Openstaande acties") for iv in view.items):
        return {}
    return {"open_action_groups": meeting_open_actions(view)}



def meeting_open_actions(meeting_view) -> list[tuple[Case, list[views.ActionView], int]]:
    """For the agenda item "Openstaande acties": per case on the agenda that the viewer may open,
    its open actions (overdue first, at most :data:`MEETING_ACTIONS_PER_CASE`) and the total when there are more.

    Goes through the engine like every other channel, audited per case.
    """
    s = db.session()
    case_ids = [iv.item.case_id for iv in meeting_view.items
                if iv.item.kind == "casus" and iv.case_visible and iv.item.case_id]
    cases = list(s.exec(select(Case).where(Case.id.in_(case_ids)).order_by(Case.reference))) if case_ids else []
    contexts = sharing.load_contexts(s, cases)
    cases = [c for c in cases if sharing.can_open_case(current_user, c, contexts[c.id])]
    # one query for the open actions of every case on the agenda (few per case), grouped here
    by_case: dict[int, list[PlanAction]] = {c.id: [] for c in cases}
    if cases:
        stmt = views.action_query(None).where(PlanAction.status.in_(OPEN_STATUSES),
                                             PlanAction.case_id.in_(list(by_case)))
        for action in s.exec(stmt):
            by_case[action.case_id].append(action)
    shown = {cid: rows[:MEETING_ACTIONS_PER_CASE] for cid, rows in by_case.items()}
    names = views.user_names(s, {a.owner_user_id for rows in shown.values() for a in rows})
    groups = []
    persons = sharing.case_person_ids(s, [c.id for c in cases if shown[c.id]])
    for case in cases:
        ctx, rows = contexts[case.id], shown[case.id]
        action_views = [views.action_view(current_user, ctx, a, names) for a in rows]
        if action_views:
            views.audit_plan_view(s, current_user, ctx, [], action_views, "overleg", persons.get(case.id, []))
        total = len(by_case[case.id])
        groups.append((case, action_views, total if total > len(rows) else 0))
    return groups
