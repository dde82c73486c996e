"""Document API on the /api/v1 blueprint: the same loader, services, engine and audit as the pages."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user
from spectree import Response

from mda import db
from mda.api import bp
from mda.api.routes import ERRORS, WRITE_ERRORS, dutch_validation_error
from mda.api.schemas import Error
from mda.cases.loaders import load_case
from mda.core.permissions import require_permission
from mda.documents import services
from mda.documents.routes import send
from mda.documents.schemas import DocumentOut, DocumentUpload, FileResponse
from mda.extensions import api_spec


def _outsiders_first(req, resp, error, instance, *args) -> None:
    """Before a word about the body: someone outside the case's circle gets its 404 (no hint), as on every other
    route; then an invalid form gets the documented Dutch 422."""
    if error is not None:
        load_case(request.view_args["case_id"], "work")
    dutch_validation_error(req, resp, error, instance, *args)


@bp.post("/cases/<int:case_id>/documents")
@require_permission("case.work")
@api_spec.validate(form=DocumentUpload, resp=Response(HTTP_201=DocumentOut, **WRITE_ERRORS), tags=["cases"],
                   before=_outsiders_first)
def upload_document(case_id: int):
    """Upload a document (multipart/form-data: ``file``, ``category``, optional ``title`` and ``person_ids``
    as repeated fields). Checked by content, scanned, stored encrypted; refusals are Dutch 413/422/503."""
    _case, ctx = load_case(case_id, "work")
    upload_file = request.files.get("file")
    try:
        person_ids = [int(p) for p in request.form.getlist("person_ids")]
    except ValueError:
        person_ids = None
    if upload_file is None or not upload_file.filename or person_ids is None:
        from mda.core.errors import ServiceError

        raise ServiceError("Stuur een bestand in het veld 'file' en personen als getallen in 'person_ids'.")
    user = current_user._get_current_object()
    form = request.context.form
    item = services.upload(db.session(), user, ctx, data=upload_file.read(), filename=upload_file.filename,
                           title=request.form.get("title", ""), category=request.form.get("category", ""),
                           person_ids=person_ids, agenda_item_id=form.agenda_item_id if form else None)
    doc = services.document_numbers(db.session(), ctx.case.id)[item.id]
    return jsonify(DocumentOut(item_id=item.id, number=doc.number, content_type=doc.content_type,
                               size=doc.size, sha256=doc.sha256).model_dump()), 201


@bp.get("/cases/<int:case_id>/documents/<int:item_id>/download")
@require_permission("case.work")
@api_spec.validate(resp=FileResponse(HTTP_200=None, HTTP_409=Error, **ERRORS), tags=["cases"])
def download_document(case_id: int, item_id: int):
    """The document as an attachment when the sharing engine shows its item (audited); 403 "niet gedeeld"; 409 when
    no watermark can be put on it (never sent unmarked)."""
    _case, ctx = load_case(case_id)
    return send(services.download(db.session(), current_user._get_current_object(), ctx, item_id))
