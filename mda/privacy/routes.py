"""The privacy officer's audit pages."""

from __future__ import annotations

from flask import Response, render_template, request
from flask_login import current_user

from mda import db
from mda.core import audit
from mda.core.audit import ACTIONS
from mda.core.permissions import require_permission
from mda.core.timeutil import utcnow
from mda.privacy import bp
from mda.privacy.forms import AuditFilterForm
from mda.privacy.services import AuditFilter, audit_csv, query_audit


def _filter_from_request() -> tuple[AuditFilterForm, AuditFilter | None]:
    form = AuditFilterForm(request.args, meta={"csrf": False})
    form.action.choices = [("", "alle")] + [(a, a) for a in ACTIONS]
    if request.args and not form.validate():
        return form, None
    return form, AuditFilter(user=form.user.data or "", case_id=form.case_id.data,
                             date_from=form.date_from.data, date_to=form.date_to.data,
                             action=form.action.data or "")


@bp.route("/audit")
@require_permission("audit.read")
def audit_log():
    """Filter the audit trail (user, case, date range, action)."""
    form, flt = _filter_from_request()
    rows = []
    if flt is not None:
        rows = query_audit(db.session(), flt)
        audit.record(db.session(), "view", user=current_user, object_type="audit_log",
                     case_id=flt.case_id, summary=f"audittrail bekeken ({flt.describe()})")
    return render_template("privacy/audit.html", form=form, rows=rows)


@bp.route("/audit.csv")
@require_permission("audit.read")
def audit_export():
    """The filtered audit trail as a CSV download (the export is itself audited)."""
    form, flt = _filter_from_request()
    if flt is None:
        return render_template("privacy/audit.html", form=form, rows=[]), 400
    rows = query_audit(db.session(), flt, limit=None)
    audit.record(db.session(), "export", user=current_user, object_type="audit_log",
                 case_id=flt.case_id, summary=f"audittrail geëxporteerd ({flt.describe()}, {len(rows)} regels)")
    name = f"audittrail-{utcnow().strftime('%Y%m%d-%H%M')}.csv"
    return Response("\ufeff" + audit_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
