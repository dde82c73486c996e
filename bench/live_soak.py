"""Live soak: ``python -m bench.live_soak`` (``make soak``; a short run is in the test suite).

N python-socketio clients join one live meeting's case item; each writes its own part of the minutes
and, for a bounded time, saves new versions of it (each save an event with its own id and the version
it started from) while dropping its connection (once at a seeded save among its first three, so every
client drops at least once, and at random after that) and reconnecting. A save whose answer was
lost is sent again with the same id after the reconnect, as the browser does. Afterwards:

- every acknowledged save is stored exactly once (one revision per acknowledged version, one
  processed-event row per event id) and each piece holds the text of its last acknowledged save;
- every client's live view — what it fetched on (re)connecting, kept up to date only by the pieces the
  server pushed (``stuk``) and the notices it fetched on, as the browser does — equals the database
  once the writing stopped;
- every client's final view of the item (fetched after reconnecting) equals the database.

Prints a JSON summary; with ``--write`` also a section of ``docs/benchmarks.md``. Exit 1 on any loss,
duplicate or difference.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import socketio

from bench import doc
from bench.live import ORIGIN, SECRET, UA, _free_port, _rss_mb, _wait, seed

ROOT = Path(__file__).resolve().parents[1]


class Participant:
    """One user's browser: connects, joins, writes, drops and comes back."""

    def __init__(self, k: int, url: str, cookie: str, token: str, ids: dict, stop_at: float, drop_chance: float):
        self.k, self.url, self.cookie, self.token, self.ids = k, url, cookie, token, ids
        self.stop_at, self.drop_chance = stop_at, drop_chance
        self.acked: dict[str, int] = {}  # event id -> the version it stored
        self.piece: int | None = None
        self.version = 0
        self.last_text = ""
        self.drops = self.retries = 0
        self.errors: list[str] = []
        self.sio: socketio.Client | None = None
        self.rng = random.Random(k)
        self.forced_drop_at = self.rng.randint(1, 3)  # every client drops at least once, at a seeded save
        self.live: dict[int, tuple[int, str]] = {}  # piece id -> (version, text) as this client shows it
        self.live_lock = threading.Lock()

    def _merge(self, rows: list[dict]) -> None:
        """Keep the newest version of each piece (versions only grow, so the order of arrival does not matter)."""
        with self.live_lock:
            for row in rows:
                if row["versie"] >= self.live.get(row["id"], (0, ""))[0]:
                    self.live[row["id"]] = (row["versie"], row.get("tekst", ""))

    def _on_push(self, data: dict) -> None:
        if data.get("punt") == self.ids["item"]:
            self._merge(data["stukken"])

    def _on_notice(self, data: dict) -> None:
        if data.get("soort") == "punt" and data.get("punt") == self.ids["item"]:
            threading.Thread(target=self._fetch, daemon=True).start()

    def _fetch(self) -> None:
        with contextlib.suppress(Exception):  # the connection may have dropped meanwhile
            answer = self.sio.call("punt", {"punt": self.ids["item"]}, namespace="/live", timeout=30)
            if answer.get("ok"):
                self._merge(answer["punt"]["stukken"])

    def live_view(self) -> list[tuple[int, str]]:
        with self.live_lock:
            return sorted((piece, text) for piece, (_version, text) in self.live.items())

    def connect(self) -> None:
        self.sio = socketio.Client(reconnection=False, websocket_extra_options={"suppress_origin": True})
        self.sio.connect(self.url, namespaces=["/live"], headers={"User-Agent": UA, "Origin": ORIGIN,
                                                                  "Cookie": self.cookie},
                         auth={"csrf": self.token}, transports=["websocket"], wait_timeout=20)
        self.sio.on("stuk", self._on_push, namespace="/live")
        self.sio.on("melding", self._on_notice, namespace="/live")
        for event, body in (("deelnemen", {"overleg": self.ids["meeting"]}), ("punt", {"punt": self.ids["item"]})):
            answer = self.sio.call(event, body, namespace="/live", timeout=30)
            if not answer.get("ok"):
                raise RuntimeError(f"{event}: {answer}")
            if event == "punt":
                self._merge(answer["punt"]["stukken"])

    def _send(self, event_id: str, text: str) -> bool:
        if self.piece is None:
            event, body = "stuk_nieuw", {"id": event_id, "punt": self.ids["item"], "tekst": text}
        else:
            event, body = "stuk_opslaan", {"id": event_id, "stuk": self.piece, "versie": self.version, "tekst": text}
        try:
            answer = self.sio.call(event, body, namespace="/live", timeout=15)
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError,
                socketio.exceptions.DisconnectedError):
            return False
        if answer.get("ok"):
            self.piece, self.version = answer["stuk"], answer["versie"]
            self.acked[event_id] = answer["versie"]
            self.last_text = text
            return True
        if "te snel" in (answer.get("fout") or "").lower():
            time.sleep(1)
            return False
        self.errors.append(answer.get("fout", "?"))
        return True  # refused for a reason: not retried

    def run(self) -> None:
        try:
            self.connect()
            n = 0
            while time.time() < self.stop_at or n < self.forced_drop_at:  # a slow machine still drops each
                n += 1
                event_id, text = f"soak-{self.k:03d}-{n:05d}", f"Soak {self.k} / {n} (fictief)"
                if n == self.forced_drop_at:  # the connection is gone when the change leaves: it is sent again
                    self.sio.disconnect()
                    self.drops += 1
                elif self.rng.random() < self.drop_chance:  # the connection drops just as the change leaves
                    threading.Thread(target=self._drop_soon, daemon=True).start()
                while not self._send(event_id, text):  # lost answer: reconnect and send the same id again
                    self.retries += 1
                    self._reconnect()
                    if time.time() > self.stop_at + 30:
                        self.errors.append(f"{event_id}: no answer after reconnecting")
                        break
                time.sleep(self.rng.uniform(0.2, 1.0))
        except Exception as exc:  # noqa: BLE001 - reported, the soak goes on
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def _drop_soon(self) -> None:
        time.sleep(self.rng.uniform(0, 0.02))
        try:
            self.sio.disconnect()
            self.drops += 1
        except Exception:  # noqa: BLE001 - already gone
            pass

    def _reconnect(self) -> None:
        with contextlib.suppress(Exception):  # already gone
            self.sio.disconnect()
        time.sleep(self.rng.uniform(0.1, 0.5))
        self.connect()

    def final_view(self) -> list[tuple[int, str]]:
        self._reconnect()
        item = self.sio.call("punt", {"punt": self.ids["item"]}, namespace="/live", timeout=30)["punt"]
        self.sio.disconnect()
        return sorted((s["id"], s.get("tekst", "")) for s in item["stukken"])


def soak(clients: int, seconds: float, drop_chance: float = 0.05) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="mda-live-soak-"))
    database_url = f"sqlite:///{tmp / 'soak.sqlite'}"
    ids = seed(database_url, clients)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDA_")}
    env.update({"MDA_DATABASE_URL": database_url, "MDA_SECRET_KEY": SECRET, "MDA_PORT": str(port),
                "MDA_INSTANCE_PATH": str(tmp / "instance"), "MDA_BASE_URL": ORIGIN, "MDA_RATELIMIT_ENABLED": "0",
                "MDA_SCHEDULER_MINUTES": "0", "MDA_CLOCK_START": ids["clock_start"], "PYTHONPATH": str(ROOT)})
    server = subprocess.Popen([sys.executable, "-m", "mda"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        _wait(port)
        url = f"http://127.0.0.1:{port}"
        stop_at = time.time() + seconds
        people = [Participant(k, url, *ids["cookies"][k + 1], ids, stop_at, drop_chance) for k in range(clients)]
        threads = [threading.Thread(target=p.run) for p in people]
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds + 120)
        rss = _rss_mb(server.pid)
        for p in people:  # a client whose connection dropped after its last save comes back, as a browser does
            if p.sio is None or not p.sio.connected:
                with contextlib.suppress(Exception):
                    p.connect()
        time.sleep(3)  # the last pushes and fetches arrive
        live_views = [p.live_view() for p in people]
        views: list = [None] * len(people)

        def final(i: int) -> None:
            views[i] = people[i].final_view()

        finals = [threading.Thread(target=final, args=(i,)) for i in range(len(people))]
        for t in finals:
            t.start()
        for t in finals:
            t.join(120)
        stored, revisions, processed = _database(database_url, ids["item"])
    finally:
        server.terminate()
        server.wait(10)
    acked = sum(len(p.acked) for p in people)
    truth = sorted(stored)
    texts = dict(stored)
    lost = duplicated = 0
    for p in people:
        if p.piece is None:
            continue
        versions = Counter(revisions.get(p.piece, []))
        lost += sum(1 for v in p.acked.values() if versions[v] == 0) + (texts.get(p.piece) != p.last_text)
        duplicated += sum(n - 1 for n in versions.values() if n > 1)
    duplicated += sum(n - 1 for n in Counter(processed).values() if n > 1)
    result = {
        "clients": clients, "seconds": seconds, "acknowledged": acked,
        "stored": sum(len(v) for v in revisions.values()), "lost": lost, "duplicated": duplicated,
        "drops": sum(p.drops for p in people), "resent": sum(p.retries for p in people),
        "clients_that_dropped": sum(1 for p in people if p.drops),
        "clients_whose_view_differs": sum(1 for v in views if v != truth),
        "clients_whose_live_view_differs": sum(1 for v in live_views if v != truth),
        "errors": [e for p in people for e in p.errors][:10], "server_rss_mb": round(rss),
    }
    result["ok"] = (result["lost"] == result["duplicated"] == result["clients_whose_view_differs"]
                    == result["clients_whose_live_view_differs"] == 0
                    and not result["errors"] and result["acknowledged"] > 0)
    return result


def _database(url: str, item_id: int):
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        stored = [(pid, content) for pid, content in conn.execute(text(
            "SELECT p.id, i.content FROM live_piece p JOIN item i ON i.id = p.item_id WHERE p.agenda_item_id = :i"),
            {"i": item_id})]
        revisions: dict[int, list[int]] = {}
        for piece_id, version in conn.execute(text("SELECT piece_id, version FROM live_revision")):
            revisions.setdefault(piece_id, []).append(version)
        processed = [row[0] for row in conn.execute(text(
            "SELECT user_id || ':' || event_id FROM live_processed_event"))]
    engine.dispose()
    return stored, revisions, processed


def render(r: dict) -> str:
    return "\n".join([
        "## Live soak (`python -m bench.live_soak`, part of `make soak`)", "",
        f"{r['clients']} python-socketio clients in one case item's room for {r['seconds']:.0f} s, each saving a "
        "new version of its own part of the minutes every 0.2–1 s and dropping its connection once at a seeded save "
        "among its first three (a fixed number of drops) and at random (5 % of its saves, just as the save leaves), "
        "then reconnecting and sending an unanswered save again with the "
        "same event id. SQLite, one server process (threading mode). *Stored* counts revisions.", "",
        "| acknowledged saves | stored | lost | duplicated | drops | saves sent again | clients whose live view "
        "(pushes) differs from the database | clients whose final fetched view differs | server RSS |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {r['acknowledged']} | {r['stored']} | {r['lost']} | {r['duplicated']} | {r['drops']} | {r['resent']} | "
        f"{r['clients_whose_live_view_differs']} | {r['clients_whose_view_differs']} | {r['server_rss_mb']} MB |", "",
        f"Result: {'ok' if r['ok'] else 'FAILED ' + json.dumps(r['errors'], ensure_ascii=False)}. Measured "
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC on {os.cpu_count()} cores, load average at the end "
        f"{os.getloadavg()[0]:.1f}.", ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--write", action="store_true", help="write the section of docs/benchmarks.md")
    args = parser.parse_args()
    result = soak(args.clients, args.seconds)
    print(json.dumps(result, ensure_ascii=False))
    if args.write:
        doc.write("live_soak", render(result))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
