"""Regions, partner organisations and the administration of accounts."""

from flask import Blueprint

from mda.core.templating import register_nav

bp = Blueprint("organisations", __name__, url_prefix="/beheer")

register_nav("Organisaties", "organisations.organisations", "admin.manage", position=90)
register_nav("Gebruikers", "organisations.users", "admin.manage", position=91)

from mda.organisations import routes  # noqa: E402,F401
