"""The live session: partners join a conference from their browsers.

- :mod:`.events` the ``/live`` Socket.IO namespace (thin ``on_<event>`` handlers);
- :mod:`.guard` the one wrapper every socket event passes (session, rights, rate limit,
  event-id dedup, unit of work, Dutch errors);
- :mod:`.services` what changes (only ``flush()``; notices after the commit);
- :mod:`.state` what one user sees, filtered by the sharing engine;
- :mod:`.recheck` access changes reaching open sessions;
- :mod:`.plan_bridge` the boundary with the safety plan;
- :mod:`.routes` the live page and the plain-form fallback (no websockets needed).
"""

from flask import Blueprint

bp = Blueprint("live", __name__, url_prefix="/overleggen")


def init_app(app) -> None:
    """Register the blueprint, the socket namespace and the access-change hook.

    Called before ``socketio.init_app``: the namespace is handed to the ``socketio`` object,
    which registers it on every server it builds (tests build several apps).
    """
    from mda.extensions import socketio
    from mda.live import recheck, routes  # noqa: F401  (routes attach to bp)
    from mda.live.events import LiveNamespace
    from mda.live.guard import NAMESPACE

    app.register_blueprint(bp)
    if not any(h.namespace == NAMESPACE for h in socketio.namespace_handlers):
        handler = LiveNamespace(NAMESPACE)
        handler._set_socketio(socketio)
        socketio.namespace_handlers.append(handler)
    recheck.install()
    from mda.live.access import closed_meetings
    from mda.meetings.access import register_closed

    register_closed(closed_meetings)
    from mda.cases import history
    from mda.live.coedit import forget_states
    from mda.live.services import forget_revisions

    for provider in (forget_revisions, forget_states):
        if provider not in history.FORGET_PROVIDERS:
            history.FORGET_PROVIDERS.append(provider)
    from mda import jobs

    if "mda.live.jobs" not in jobs.JOB_MODULES:
        jobs.JOB_MODULES = (*jobs.JOB_MODULES, "mda.live.jobs")
    app.jinja_env.globals["live_panel"] = _panel


def _panel(meeting):
    """Template global for ``live/_meeting_panel.html`` (the meeting page's live panel)."""
    from flask_login import current_user

    from mda import db
    from mda.live import access, state

    s = db.session()
    if not access.may_join(s, current_user, meeting):
        return None
    return state.panel(s, current_user, meeting)
