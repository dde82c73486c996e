"""Notification preferences: per kind of notice, at once or in the daily digest (page, service, digest job)."""

from flask import Blueprint

bp = Blueprint("notices", __name__)


def _register_jobs() -> None:
    from mda import jobs

    if "mda.notices.digest" not in jobs.JOB_MODULES:
        jobs.JOB_MODULES = (*jobs.JOB_MODULES, "mda.notices.digest")


from mda.notices import routes  # noqa: E402,F401  (registers the views on bp)

_register_jobs()
