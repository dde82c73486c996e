"""Notification preferences: per kind of notice, at once or in the daily digest (page, service, digest job)."""

from flask import Blueprint

bp = Blueprint("notices", __name__)


def init_app(app) -> None:
    """Register the blueprint and the digest job (called by :func:`mda.create_app`)."""
    from mda.notices import digest  # noqa: F401  (its @job function joins the job registry)

    app.register_blueprint(bp)


from mda.notices import routes  # noqa: E402,F401  (registers the views on bp)
