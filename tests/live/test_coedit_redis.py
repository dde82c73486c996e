"""Co-editing across two server processes that share Redis as the Socket.IO message queue (MDA_TEST_REDIS_URL)."""

from __future__ import annotations

import base64
import threading
import time

import pytest
from pycrdt import Doc, Text
from sqlmodel import Session

from mda.cases.models import Item
from mda.live import crdt
from mda.live.models import LivePiece
from tests.conftest import REDIS_URL
from tests.live.test_real_transport import RealClient, _free_port, _logs, _start_process, clients  # noqa: F401


class TypingClient(RealClient):
    """A real websocket client with a pycrdt replica of one piece, kept up to date as the browser does: pushed
    updates from its own process, ``stuk_sync`` on a room notice from the other process."""

    def __init__(self, app, user):
        super().__init__(app, user)
        self.doc = Doc()
        self.text = self.doc.get(crdt.TEXT_NAME, type=Text)
        self.lock = threading.Lock()
        self.piece: int | None = None
        self.pushed = 0
        self.sio.on("stuk_update", self._on_update, namespace="/live")
        self.sio.on("melding", self._on_notice, namespace="/live")

    def _on_notice(self, data):
        self.events.append(("melding", data))
        if data.get("soort") == "stuk" and data.get("stuk") == self.piece:  # a writer on the other process
            threading.Thread(target=self.sync, daemon=True).start()
        self.arrived.set()

    def _on_update(self, data):
        with self.lock:
            self.doc.apply_update(base64.b64decode(data["update"]))
            self.pushed += 1

    def sync(self) -> dict:
        with self.lock:
            vector = base64.b64encode(self.doc.get_state()).decode()
        answer = self.call("stuk_sync", {"stuk": self.piece, "vector": vector})
        assert answer["ok"], answer
        with self.lock:
            self.doc.apply_update(base64.b64decode(answer["update"]))
        return answer

    def type(self, word: str) -> dict:
        with self.lock:
            before = self.doc.get_state()
            self.text.insert(len(str(self.text).encode()), word)
            update = self.doc.get_update(before)
        return self.call("stuk_update", {"stuk": self.piece, "update": base64.b64encode(update).decode()})

    def shown(self) -> str:
        with self.lock:
            return str(self.text)


def _stored(app, piece_id: int) -> str:
    with Session(app.extensions["mda_engine"]) as s:
        return s.get(Item, s.get(LivePiece, piece_id).item_id).content


@pytest.mark.skipif(not REDIS_URL, reason="needs MDA_TEST_REDIS_URL")
def test_two_writers_on_two_processes_converge_to_the_database(
    real_wall_clock,
    app,
    database_url,
    world,
    meeting,
    clients,  # noqa: F811 - the fixture imported above
    tmp_path,
    make_consent,
):
    """When the chair (on server process A) and the police professional (on process B, the processes sharing
    Redis) type into the same minutes piece at the same time, do both end with the stored text, holding every word
    each of them typed exactly once?"""
    victim = world["persons"][0]
    make_consent(world["case_a"], victim, [world["orgs"]["POL"]], ["overleg"], world["coordinator"])
    ports = [_free_port(), _free_port()]
    procs = [_start_process(app, database_url, port, tmp_path / f"p{i}") for i, port in enumerate(ports)]
    try:
        chair, pol = TypingClient(app, world["coordinator"]), TypingClient(app, world["users"]["POL"])
        clients += [chair, pol]
        try:
            chair.connect(f"http://127.0.0.1:{ports[0]}")
            pol.connect(f"http://127.0.0.1:{ports[1]}")
        except Exception as exc:
            raise AssertionError(f"{exc}; server output:\n{_logs(procs)}") from exc
        for c in (chair, pol):
            assert c.call("deelnemen", {"overleg": meeting.id})["ok"]
            assert c.call("punt", {"punt": meeting.item_a})["ok"]
        made = chair.call(
            "stuk_nieuw",
            {"id": "redis-coedit-1", "punt": meeting.item_a, "tekst": "Afspraken:", "personen": [victim.id]},
        )
        assert made["ok"], made
        chair.piece = pol.piece = made["stuk"]
        assert chair.sync()["schrijven"] and pol.sync()["schrijven"]

        def typing(client, who):
            for n in range(6):
                assert client.type(f" {who}{n}")["ok"]

        writers = [
            threading.Thread(target=typing, args=(chair, "voorzitter")),
            threading.Thread(target=typing, args=(pol, "politie")),
        ]
        for t in writers:
            t.start()
        for t in writers:
            t.join(60)
        stored = _stored(app, made["stuk"])
        words = [f"voorzitter{n}" for n in range(6)] + [f"politie{n}" for n in range(6)]
        assert all(stored.split().count(w) == 1 for w in words), stored
        # each learns the other's words through the other process: a notice over Redis, then its own sync
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not chair.shown() == pol.shown() == stored:
            pol.arrived.wait(0.2)
        assert any(n == "melding" and m.get("soort") == "stuk" for n, m in pol.events), pol.events
        assert chair.shown() == pol.shown() == stored, (chair.shown(), pol.shown(), stored, _logs(procs))
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
