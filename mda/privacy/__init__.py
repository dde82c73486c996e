"""Privacy operations for the privacy officer: the audit trail, persons (access log, export,
destruction on request), break-glass review, and the retention command."""

from flask import Blueprint

from mda import db
from mda.cases.models import BreakGlass
from mda.core import signals
from mda.core.audit import verify_chain
from mda.core.permissions import has_permission
from mda.core.templating import register_nav
from mda.core.timeutil import utcnow
from mda.privacy.models import DestructionRecord

bp = Blueprint("privacy", __name__, url_prefix="/privacy")

register_nav("Personen (privacy)", "privacy.persons", "privacy.manage")
register_nav("Doorbraken", "privacy.break_glass_list", "privacy.manage")
register_nav("Audittrail", "privacy.audit_log", "audit.read", position=80)


@bp.record_once
def _register_cli(state) -> None:
    from mda.privacy.retention import retention_command

    state.app.cli.add_command(retention_command)


#: the last audit-chain check per database (verifying the whole chain on every home page would not scale)
_CHAIN_CHECKS: dict[str, dict] = {}
CHAIN_CHECK_MINUTES = 10


def _chain_status() -> dict:
    """The audit chain's state, checked at most every few minutes per process."""
    from datetime import timedelta


    key = str(db.engine().url)
    last = _CHAIN_CHECKS.get(key)
    if last is None or utcnow() - last["at"] > timedelta(minutes=CHAIN_CHECK_MINUTES):
        from sqlmodel import Session

        with Session(db.engine()) as own:  # its own session: verify_chain expunges what it read
            report = verify_chain(own)
        last = _CHAIN_CHECKS[key] = {"ok": report.intact, "checked": report.checked,
                                     "broken_at": report.first_broken_seq, "at": utcnow()}
    return last


def _home_panel(user):
    """Start-page panel of the privacy officer: break-glass openings to judge and follow up, destructions,
    the audit chain."""
    from datetime import timedelta

    from sqlmodel import func, select


    if not has_permission(user, "privacy.manage"):
        return None
    s = db.session()
    unreviewed = s.exec(select(func.count()).select_from(BreakGlass).where(BreakGlass.reviewed_at.is_(None))).one()
    to_follow_up = s.exec(select(func.count()).select_from(BreakGlass).where(
        BreakGlass.judgement == "onterecht", BreakGlass.followed_up_at.is_(None))).one()
    destructions = s.exec(select(func.count()).select_from(DestructionRecord).where(
        DestructionRecord.performed_at >= utcnow() - timedelta(days=30))).one()
    return "privacy/_home_panel.html", {"unreviewed": unreviewed, "to_follow_up": to_follow_up,
                                        "destructions": destructions, "chain": _chain_status()}


def init_app(app) -> None:
    """Register the blueprint and the start-page panel (called by :func:`mda.create_app`)."""
    app.register_blueprint(bp)
    signals.home_panels.connect(_home_panel, position=60)

from mda.privacy import routes, subject_routes  # noqa: E402,F401
