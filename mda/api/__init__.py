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

from mda.api import idempotency  # noqa: E402

idempotency.install(bp)

from mda.api import routes  # noqa: E402,F401  (users and organisations; each feature attaches its own views)
