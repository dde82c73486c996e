"""Regions, partner organisations and the administration of accounts."""

from flask import Blueprint

from mda import db
from mda.core.templating import register_nav
from mda.organisations.names import organisation_name

bp = Blueprint("organisations", __name__, url_prefix="/beheer")

register_nav("Organisaties", "organisations.organisations", "admin.manage", position=90)
register_nav("Gebruikers", "organisations.users", "admin.manage", position=91)


@bp.app_template_global("organisation_name")
def _organisation_name(organisation_id: int | None) -> str:
    """An organisation's display name, from the per-process cache (see :mod:`.names`)."""

    return organisation_name(db.session(), organisation_id)


from mda.organisations import routes  # noqa: E402,F401
