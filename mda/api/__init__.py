"""The JSON API under /api/v1, documented by the generated OpenAPI 3 document.

Authentication: the session cookie (state-changing calls need the ``X-CSRFToken``
header) or a personal API token (``Authorization: Bearer mda_...``). Every view
goes through the same permission checks, sharing engine and audit as the pages.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from mda.api import idempotency  # noqa: E402

idempotency.install(bp)

from mda.api import routes  # noqa: E402,F401
from mda.cases import api as cases_api  # noqa: E402,F401
from mda.meetings import api as meetings_api  # noqa: E402,F401
from mda.safety_plan import api as safety_plan_api  # noqa: E402,F401
