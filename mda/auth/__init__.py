"""Logging in and out, two-factor authentication, passwords and API tokens."""

from flask import Blueprint

from mda.core import signals

bp = Blueprint("auth", __name__)

from mda.auth import routes  # noqa: E402,F401  (registers the views on bp)


def init_app(app) -> None:
    """Register the blueprint and let API tokens log in (called by :func:`mda.create_app`)."""
    from mda.auth.services import user_for_api_token

    app.register_blueprint(bp)
    signals.api_token_users.connect(user_for_api_token)
