"""The live session: partners join a conference from their browsers.

- :mod:`.events` the ``/live`` Socket.IO namespace (thin ``on_<event>`` handlers);
- :mod:`.guard` the one wrapper every socket event passes (session, rights, rate limit,
  event-id dedup, unit of work, Dutch errors);
- :mod:`.sockets` the namespace, this process's sockets and ``LiveError`` (imports no live module);
- :mod:`.loaders` the meeting's live state, and a meeting, item or piece the user may reach;
- :mod:`.services` what changes (only ``flush()``; notices after the commit), with :mod:`.coedit`,
  :mod:`.presence`, :mod:`.chairing`, :mod:`.minutes` and :mod:`.scores`;
- :mod:`.state` what one user sees, filtered by the sharing engine; :mod:`.push` sends it to local sockets;
- :mod:`.recheck` access changes reaching open sessions;
- :mod:`.plan_bridge` the boundary with the safety plan;
- :mod:`.routes` the live page and the plain-form fallback (no websockets needed).

The modules import each other downward only (see docs/architecture.md, tests/test_architecture.py).
"""

from flask import Blueprint

from mda.core import signals
from mda.extensions import socketio

bp = Blueprint("live", __name__, url_prefix="/overleggen")


def init_app(app) -> None:
    """Register the blueprint, the socket namespace and the access-change hook.

    Called before ``socketio.init_app``: the namespace is handed to the ``socketio`` object,
    which registers it on every server it builds (tests build several apps).
    """
    from mda.live import recheck, routes  # noqa: F401  (routes attach to bp)
    from mda.live.events import LiveNamespace
    from mda.live.sockets import NAMESPACE

    app.register_blueprint(bp)
    if not any(h.namespace == NAMESPACE for h in socketio.namespace_handlers):
        handler = LiveNamespace(NAMESPACE)
        handler._set_socketio(socketio)
        socketio.namespace_handlers.append(handler)
    recheck.install()
    from mda.live.access import closed_meetings
    from mda.meetings.access import register_closed

    register_closed(closed_meetings)
    from mda.live import jobs  # noqa: F401  (its @job functions join the job registry)
    from mda.live.coedit import forget_states
    from mda.live.services import forget_revisions

    signals.forget_providers.connect(forget_revisions)
    signals.forget_providers.connect(forget_states)
    signals.meeting_page.connect(_meeting_page_panel)  # a module-level function: connected once, kept
    signals.meeting_item_changed.connect(_meeting_item_changed)


def _meeting_item_changed(item, **_extra) -> None:
    """A document was brought to this case item: its room fetches the item view again after the commit."""
    from mda.live.services import notify_item

    notify_item(item.id)


def _meeting_page_panel(meeting, *, db, user, view, cases, item_updates, **_extra) -> dict:
    """The meeting page's live panel (``live/_meeting_panel.html``), from the page's own view, case access and
    updates (:data:`mda.core.signals.meeting_page`)."""
    from mda.live import access, state

    if not access.may_join(db, user, meeting, view):
        return {"live_panel": None}
    return {"live_panel": state.panel(db, user, meeting, view=view, case_access=cases, item_updates=item_updates)}
