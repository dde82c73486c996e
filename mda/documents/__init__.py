"""Case documents: reports and letters as items of the minimal data set (upload, scan, download, destruction)."""

import logging

from flask import Blueprint

bp = Blueprint("documents", __name__, url_prefix="/casussen")
log = logging.getLogger(__name__)

#: endpoints that take a file: their request may be larger than MAX_CONTENT_LENGTH, up to the document limit
UPLOAD_ENDPOINTS = frozenset({"documents.upload", "api.upload_document"})
#: room for the form fields and multipart framing around the file
FORM_OVERHEAD = 64 * 1024


def _allow_document_uploads():
    """Before any other hook reads the form: document uploads may be as large as the document limit; a larger
    declared size (even 1 GB) is refused at once with the Dutch 413, before a byte of the body is read."""
    from flask import current_app, request

    if request.endpoint not in UPLOAD_ENDPOINTS:
        return None
    limit = current_app.config["DOCUMENT_MAX_BYTES"]
    if request.content_length is not None and request.content_length > limit + FORM_OVERHEAD:
        from mda.core.errors import error_response
        from mda.documents.services import too_large_message

        return error_response(413, too_large_message(limit))
    request.max_content_length = limit + FORM_OVERHEAD
    return None


@bp.record_once
def _install(state) -> None:
    from mda.core import input_guard, signals
    from mda.documents.services import document_numbers, forget_documents

    app = state.app
    input_guard.FILE_ENDPOINTS.add("api.upload_document")
    app.before_request_funcs.setdefault(None, []).insert(0, _allow_document_uploads)
    signals.forget_providers.connect(forget_documents)
    signals.item_documents.connect(document_numbers)
    app.cli.add_command(rotate_document_key)
    from mda.core.signals import meeting_page
    from mda.documents.meetings import meeting_page_documents

    meeting_page.connect(meeting_page_documents)  # a module-level function: connected once, kept
    if app.config.get("INSECURE_DEMO_SKIP_SCAN"):
        log.warning("ONVEILIG: MDA_INSECURE_DEMO_SKIP_SCAN staat aan; documenten worden NIET op virussen gescand. "
                    "Alleen voor de demo.")


import click  # noqa: E402
from flask.cli import with_appcontext  # noqa: E402


@click.command("rotate-document-key")
@with_appcontext
def rotate_document_key() -> None:
    """Re-encrypt every stored document with the first key of MDA_DOCUMENT_KEYS (then the old key can go)."""
    from flask import current_app
    from sqlmodel import select

    from mda import db
    from mda.documents import storage
    from mda.documents.models import Document

    store = storage.from_config(current_app.config)
    with db.unit_of_work() as s:
        keys = list(s.exec(select(Document.storage_key).where(Document.storage_key.is_not(None))))
    for key in keys:  # one unit of work per document: a large store is not held in one transaction
        with db.unit_of_work() as s:
            store.rotate(s, key)
    click.echo(f"{len(keys)} document(en) opnieuw versleuteld met de nieuwste sleutel. "
               "U kunt de oude sleutel nu uit MDA_DOCUMENT_KEYS halen.")


from mda.documents import api, routes  # noqa: E402,F401
