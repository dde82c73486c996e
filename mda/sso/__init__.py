"""Logging in with one's own organisation's identity provider (OpenID Connect), per organisation."""

from flask import Blueprint

from mda.core.templating import register_nav

bp = Blueprint("sso", __name__)

register_nav("Inlogdiensten", "sso.providers", "admin.manage", position=92)


@bp.record_once
def _register_home_realm(state) -> None:
    """The login and logout views ask these hooks about an account's IdP (auth knows nothing of sso)."""
    from mda.sso.routes import home_realm_redirect, idp_logout_url

    state.app.extensions["mda_home_realm"] = home_realm_redirect
    state.app.extensions["mda_idp_logout"] = idp_logout_url


from mda.sso import routes  # noqa: E402,F401  (registers the views on bp)
