"""Privacy operations for the privacy officer: the audit trail, persons (access log, export,
destruction on request), break-glass review, and the retention command."""

from flask import Blueprint

from mda.core.templating import register_nav

bp = Blueprint("privacy", __name__, url_prefix="/privacy")

register_nav("Personen (privacy)", "privacy.persons", "privacy.manage")
register_nav("Doorbraken", "privacy.break_glass_list", "privacy.manage")


@bp.record_once
def _register_cli(state) -> None:
    from mda.privacy.retention import retention_command

    state.app.cli.add_command(retention_command)


from mda.privacy import routes, subject_routes  # noqa: E402,F401
