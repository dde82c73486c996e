"""The privacy officer's audit pages."""

from __future__ import annotations

from flask import Response, render_template, request, url_for
from flask_login import current_user

from mda import db
from mda.cases.loaders import case_id_for_reference
from mda.cases.models import Case
from mda.core import audit
from mda.core.audit import ACTIONS, AuditEvent
from mda.core.input_guard import is_db_int
from mda.core.permissions import require_permission
from mda.core.timeutil import utcnow
from mda.privacy import bp
from mda.privacy.forms import AuditFilterForm
from mda.privacy.services import (
    ACTION_NAMES,
    OBJECT_NAMES,
    PAGE_SIZE,
    AuditFilter,
    count_audit,
    describe_action,
    last_audit_id,
    query_audit,
    seen_counts,
    seen_page,
    stream_audit_csv,
)


def _filter_from_request() -> tuple[AuditFilterForm, AuditFilter | None]:
    form = AuditFilterForm(request.args, meta={"csrf": False})
    form.action.choices = [("", "alle")] + [(a, ACTION_NAMES.get(a, a)) for a in ACTIONS]
    if request.args and not form.validate():
        return form, None
    case_id = form.case_id.data
    if form.case.data and form.case.data.strip():
        case_id = case_id_for_reference(db.session(), form.case.data)
        if case_id is None:
            form.case.errors = [f"Er is geen casus met nummer {form.case.data.strip().upper()}."]
            return form, None
    return form, AuditFilter(user=form.user.data or "", case_id=case_id,
                             date_from=form.date_from.data, date_to=form.date_to.data,
                             action=form.action.data or "")


@bp.route("/audit")
@require_permission("audit.read")
def audit_log():
    """Filter the audit trail (user, case reference, date range, action), newest first, one page at a time."""
    form, flt = _filter_from_request()
    rows, before, more = [], request.args.get("voor", type=int), False
    if flt is not None:
        rows = query_audit(db.session(), flt, limit=PAGE_SIZE + 1, before_seq=before)
        more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
        audit.record(db.session(), "view", user=current_user, object_type="audit_log",
                     case_id=flt.case_id, summary=f"audittrail bekeken ({flt.describe()})")
    args = {k: v for k, v in request.args.items() if k != "voor"}
    next_url = url_for("privacy.audit_log", **args, voor=rows[-1].seq) if more else None
    first_url = url_for("privacy.audit_log", **args) if before else None
    references = _references({r.case_id for r in rows if r.case_id})
    return render_template("privacy/audit.html", form=form, rows=rows, next_url=next_url, first_url=first_url,
                           describe_action=describe_action, object_names=OBJECT_NAMES, references=references,
                           seen=seen_counts(db.session(), [r.id for r in rows]))


@bp.route("/audit/<int:seq>/gezien")
@require_permission("audit.read")
def audit_seen(seq: int):
    """Which persons and items one audit row says were seen (its ``audit_subject`` rows), one page at a time."""
    from flask import abort
    from sqlmodel import select

    if not is_db_int(seq):
        abort(404)
    s = db.session()
    row = s.exec(select(AuditEvent).where(AuditEvent.seq == seq)).first()
    if row is None:
        abort(404)
    after = request.args.get("na", type=int)
    if after is not None and not is_db_int(after):
        after = None
    subjects = seen_page(s, row.id, after_id=after, limit=PAGE_SIZE + 1)
    more, subjects = len(subjects) > PAGE_SIZE, subjects[:PAGE_SIZE]
    total = seen_counts(s, [row.id]).get(row.id, 0)
    audit.record(s, "view", user=current_user, object_type="audit_log", object_id=str(seq), case_id=row.case_id,
                 summary=f"wat auditregel nr. {seq} als gezien noemt bekeken ({len(subjects)} van {total})")
    return render_template(
        "privacy/audit_seen.html", row=row, subjects=subjects, total=total,
        describe_action=describe_action, object_names=OBJECT_NAMES, references=_references({row.case_id} - {None}),
        next_url=url_for("privacy.audit_seen", seq=seq, na=subjects[-1].id) if more else None,
        first_url=url_for("privacy.audit_seen", seq=seq) if after is not None else None)


def _references(case_ids: set[int]) -> dict[int, str]:
    from sqlmodel import select

    if not case_ids:
        return {}
    return dict(db.session().exec(select(Case.id, Case.reference).where(Case.id.in_(case_ids))).all())


@bp.route("/audit.csv")
@require_permission("audit.read")
def audit_export():
    """The filtered audit trail as a CSV download (the export is itself audited)."""
    form, flt = _filter_from_request()
    if flt is None:
        return render_template("privacy/audit.html", form=form, rows=[]), 400
    # The export covers the trail as it stands now; it is streamed in chunks (bounded memory) after
    # this request's unit of work has committed the export's own audit row.
    up_to = last_audit_id(db.session())
    count = count_audit(db.session(), flt, up_to)
    audit.record(db.session(), "export", user=current_user, object_type="audit_log", case_id=flt.case_id,
                 summary=f"audittrail geëxporteerd ({flt.describe()}, {count} regels, t/m rij {up_to})")
    name = f"audittrail-{utcnow().strftime('%Y%m%d-%H%M')}.csv"
    return Response(stream_audit_csv(db.engine(), flt, up_to), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
