"""Privacy operations for the privacy officer: the audit trail and its export."""

from flask import Blueprint

bp = Blueprint("privacy", __name__, url_prefix="/privacy")

from mda.privacy import routes  # noqa: E402,F401
