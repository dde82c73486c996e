"""The ground floor of :mod:`mda.live`: the socket namespace, this process's sockets, the live refusal and the
presence lifetime. Every live module may import it; it imports no other live module (see docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from mda.core.errors import ServiceError
from mda.core.security import session_expired

NAMESPACE = "/live"


class LiveError(ServiceError):
    """A refused live event or live form: the Dutch message goes back to the client; ``denied`` also audits it
    (socket) and answers 403, or *status* (404 for what the user may not know exists)."""

    def __init__(self, message: str, *, denied: bool = False, field: str = "", extra: dict | None = None,
                 status: int | None = None):
        super().__init__(message, field=field or None, status=status or (403 if denied else 422))
        self.denied, self.extra = denied, extra or {}


@dataclass
class SocketState:
    """What this process knows about one of its sockets (a socket lives on one process)."""

    user_id: int
    auth_at: str | None
    last_seen: datetime
    meeting_id: int | None = None
    #: the session version the login session named when the socket connected (revocation check in pushes)
    session_version: str = ""
    #: the case item whose view this socket asked for last (pushes of changed pieces go to these sockets)
    viewing: int | None = None
    #: when this process last refreshed the socket's presence row (monotonic seconds)
    presence_refreshed: float = 0.0
    #: whether the socket's presence row may name a piece it is editing: only its own "bewerken" sets one, so
    #: a save by a socket that never said so need not read the row to clear it
    editing: bool = False


#: sid -> state, for the sockets of this process
SOCKETS: dict[str, SocketState] = {}


def session_still_valid(state: SocketState, user, now: datetime,
                         limits: tuple[timedelta, timedelta] | None = None) -> bool:
    """For a push (no event, so no login session to read): is the account *user* of this socket still active,
    its session version the one the socket connected with, and neither timeout passed? Activity is not
    refreshed: a push is not the user doing something. *limits*: :func:`mda.core.security.session_limits`."""
    return (user is not None and user.id == state.user_id and user.active
            and str(user.session_version) == state.session_version
            and not session_expired(state.last_seen, state.auth_at, now, limits))


#: a presence row not refreshed for this long is someone whose process or browser went away
PRESENCE_TTL = timedelta(seconds=90)
