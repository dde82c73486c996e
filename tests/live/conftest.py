"""Fixtures for the live session: a casuïstiekoverleg with two cases whose circles differ, and
Socket.IO test clients logged in as real users (each with its own browser-like cookie jar).

Case A (circle ZVH, VT, POL): the POL professional is invited for A only.
Case B (circle ZVH, GGZ, LT): the GGZ professional is invited for B only.
The coordinator chairs. OM is not invited at all.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import AuthActions, csrf_token
from tests.meetings.conftest import case_items, invite, plan, service, world  # noqa: F401  (fixtures)
from tests.perf.conftest import count_queries  # noqa: F401  (fixture)


@pytest.fixture
def meeting(world, plan, invite, db):  # noqa: F811  (fixtures imported above)
    """The meeting with invitations: POL for case A, GGZ and LT for case B; chair is the coordinator."""
    coordinator = world["coordinator"]
    m = plan(chair_id=coordinator.id)
    items = case_items(db, m)
    invite(m, coordinator, world["users"]["POL"], [items[world["case_a"].id]])
    invite(m, coordinator, world["users"]["GGZ"], [items[world["case_b"].id]])
    invite(m, coordinator, world["users"]["LT"], [items[world["case_b"].id]])
    invite(m, coordinator, world["users"]["VT"], [items[world["case_a"].id]])
    return MeetingRef(m.id, items[world["case_a"].id], items[world["case_b"].id])


class MeetingRef:
    """The planned meeting's id and its two case items."""

    def __init__(self, meeting_id: int, item_a: int, item_b: int):
        self.id, self.item_a, self.item_b = meeting_id, item_a, item_b


class Live:
    """One user's socket: connect, send events, read everything it received."""

    def __init__(self, app, user, *, login=True, csrf=True):
        from mda.extensions import socketio

        self.user = user
        self.http = app.test_client()
        if login:
            from sqlmodel import Session

            with Session(app.extensions["mda_engine"], expire_on_commit=False) as s:
                resp = AuthActions(app, self.http, s).login(user)
                assert resp.status_code == 302, resp.text[:300]
        auth = {"csrf": csrf_token(app, self.http)} if csrf else {}
        self.sio = socketio.test_client(app, namespace="/live", flask_test_client=self.http, auth=auth)
        self.seen: list[dict] = []

    @property
    def connected(self) -> bool:
        return self.sio.is_connected("/live")

    def send(self, event: str, body: dict | None = None) -> dict:
        answer = self.sio.emit(event, body or {}, namespace="/live", callback=True)
        self.seen.append({"ack": event, "body": answer})
        return answer

    def received(self) -> list[dict]:
        """Everything pushed to this client since the last call (kept in .seen too)."""
        got = self.sio.get_received("/live") if self.connected else []
        self.seen.extend(got)
        return got

    def everything(self) -> str:
        """Every byte this client received so far (pushes and acknowledgements), as one string."""
        self.received()
        return json.dumps(self.seen, ensure_ascii=False)

    def disconnect(self):
        if self.connected:
            self.sio.disconnect(namespace="/live")


@pytest.fixture
def live(app):
    """Open a live socket for a user: live(user) -> Live."""
    from mda.live import ratelimit

    ratelimit._windows.clear()  # user ids repeat between tests on fresh databases
    opened = []

    def make(user, **kwargs) -> Live:
        client = Live(app, user, **kwargs)
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.disconnect()
