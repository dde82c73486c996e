"""Logging in and out, two-factor authentication, passwords and API tokens."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from mda.auth import routes  # noqa: E402,F401  (registers the views on bp)
