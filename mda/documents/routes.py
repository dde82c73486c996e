"""Document pages: the upload form on a case and the download. Thin: load through the case loader (404 outside
the circle, 403 without the right to work on it), call :mod:`.services`, render."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from mda import db
from mda.cases.forms import category_choices
from mda.cases.loaders import load_case
from mda.core import refusal
from mda.core.errors import ServiceError
from mda.core.permissions import require_permission
from mda.documents import bp, services
from mda.documents.forms import DocumentForm


def send(download: services.Download):
    """The response for a permitted download: always an attachment with a neutral name, never cached or sniffed."""
    from flask import Response

    resp = Response(download.data, mimetype=download.content_type)
    resp.headers["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store, private"
    resp.headers["Pragma"] = "no-cache"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


@bp.route("/<int:case_id>/documenten/nieuw", methods=["GET", "POST"])
@require_permission("case.work")
def upload(case_id: int):
    """Add a document to the case: checked by content, scanned for viruses, stored encrypted."""
    from mda.cases.routes import persons_for_form

    case, ctx = load_case(case_id, "work")
    agenda_item_id = request.args.get("punt", type=int)  # brought with the organisation's pre-meeting update
    form = DocumentForm()
    form.category.choices = category_choices()
    form.persons.choices = persons_for_form(case, ctx)
    # refused: nothing of the upload is kept, its refusal row survives the rollback
    page = refusal.form_page("documents/upload.html", form, case=case, agenda_item_id=agenda_item_id)
    if form.validate_on_submit():
        upload_file = form.file.data
        if upload_file is None or not getattr(upload_file, "filename", None):
            raise ServiceError("Kies een bestand om te uploaden.", field="file")
        item = services.upload(db.session(), current_user._get_current_object(), ctx,
                               data=upload_file.read(), filename=upload_file.filename, title=form.title.data,
                               category=form.category.data, person_ids=form.persons.data or [],
                               agenda_item_id=agenda_item_id)
        flash("Het document is toegevoegd.", "success")
        if agenda_item_id is not None:
            from mda.meetings.models import AgendaItem

            meeting_id = db.session().get(AgendaItem, agenda_item_id).meeting_id
            return redirect(url_for("meetings.show", meeting_id=meeting_id, _anchor="updates"))
        return redirect(url_for("cases.case_page", case_id=case.id, _anchor=f"gegeven-{item.id}"))
    return page()


@bp.route("/<int:case_id>/documenten/<int:item_id>/download")
@require_permission("case.work")
def download(case_id: int, item_id: int):
    """The document as an attachment, when the sharing engine shows its item to this user (audited)."""
    _case, ctx = load_case(case_id)
    return send(services.download(db.session(), current_user._get_current_object(), ctx, item_id))
