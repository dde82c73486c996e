"""Regions, partner organisations and the administration of accounts."""

from flask import Blueprint

bp = Blueprint("organisations", __name__, url_prefix="/beheer")

from mda.organisations import routes  # noqa: E402,F401
