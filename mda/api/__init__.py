"""The JSON API under /api/v1, documented by the generated OpenAPI 3 document.

Authentication: the session cookie (state-changing calls need the ``X-CSRFToken``
header) or a personal API token (``Authorization: Bearer mda_...``). Every view
goes through the same permission checks, sharing engine and audit as the pages.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _document_our_validation_error() -> None:
    """Invalid input answers in the API's own error shape (:func:`mda.core.errors.api_validation_error`), never
    pydantic's list that echoes it, so the OpenAPI document names that model for it (set before any view is
    decorated; :mod:`mda.extensions` knows no ``core`` module)."""
    from mda.api.schemas import Error
    from mda.core.errors import api_response_error, api_validation_error
    from mda.extensions import api_spec

    api_spec.validation_error_model = Error
    api_spec.before, api_spec.after = api_validation_error, api_response_error


_document_our_validation_error()


@bp.before_request
def _json_bodies_are_objects():
    """A JSON body is an object: ``false``, ``[]`` or ``0`` would otherwise read as "nothing sent" and a change
    with only optional fields would be accepted doing nothing. Answered 422 in the documented shape."""
    from flask import request

    from mda.core.errors import error_response

    if request.method in ("POST", "PUT", "PATCH") and request.is_json and request.content_length:
        body = request.get_json(silent=True)
        if body is not None and not isinstance(body, dict):
            return error_response(422, "Niet alle velden zijn goed ingevuld: stuur de gegevens als een JSON-object "
                                       "({...}).", details={"fields": ["body"]})
    return None

from mda.api import idempotency  # noqa: E402

idempotency.install(bp)

from mda.api import routes  # noqa: E402,F401  (users and organisations; each feature attaches its own views)
