"""Co-editing soak: ``python -m bench.coedit_soak`` (``make soak``; a bounded run is in the test suite).

N python-socketio clients (pycrdt replicas standing in for the browsers' yjs) type into P shared minutes
pieces of one live meeting's case item for a bounded time: each keystroke inserts a whole token (``k07t0012``,
one update, at a random word boundary of the client's replica, so that no two tokens can be interleaved), and
unacknowledged updates are sent merged at most every 0.3 s as the browser does, kept until the server
acknowledges them. Each client drops its connection a fixed number of times, at moments drawn from a seeded
random generator (so the run always has exactly ``clients × drops`` drops): sometimes just after sending,
without waiting for the answer; it goes on typing offline, comes back, asks ``stuk_sync`` for what it lacks
and sends everything unacknowledged again (merging is idempotent). Afterwards:

- every token any client typed is in its piece's stored text exactly once (0 lost, 0 doubled);
- each piece's stored text equals the text of its stored CRDT state;
- every client's replica equals the database (after a last sync, as a reconnecting browser does).

Prints a JSON summary; with ``--write`` also a section of ``docs/benchmarks.md`` (``make soak``). Exit 1 on any
loss, doubling or difference.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import socketio
from pycrdt import Doc, Text, merge_updates

from bench import doc
from bench.live import ORIGIN, SECRET, UA, _free_port, _rss_mb, _wait, seed

ROOT = Path(__file__).resolve().parents[1]
TEXT_NAME = "tekst"  # mda.live.crdt.TEXT_NAME (not imported: the clients stand for the browser)
FLUSH_SECONDS = 0.3  # static/js/live.js FLUSH_MS
TOKEN = re.compile(r"k\d{3}t\d{4}")


class Typist:
    """One participant's browser: a replica of its piece, typing, flushing, dropping and coming back."""

    def __init__(self, k: int, url: str, cookie: str, token: str, ids: dict, piece: int, seed_: int):
        self.k, self.url, self.cookie, self.token, self.ids, self.piece = k, url, cookie, token, ids, piece
        self.rng = random.Random(seed_ * 1000 + k)
        self.doc = Doc(client_id=1_000 + k)
        self.text = self.doc.get(TEXT_NAME, type=Text)
        self.lock = threading.Lock()  # the replica is touched by the typing thread and the socket's thread
        self.pending: list[bytes] = []
        self.typed: list[str] = []
        self.drops = self.resent = self.sent = self.timeouts = 0
        self.errors: list[str] = []
        self.sio: socketio.Client | None = None

    # ------------------------------------------------------------------ the socket
    def connect(self) -> None:
        self.sio = socketio.Client(reconnection=False, websocket_extra_options={"suppress_origin": True})
        self.sio.on("stuk_update", self._on_update, namespace="/live")
        self.sio.on("melding", self._on_notice, namespace="/live")
        self.sio.connect(
            self.url,
            namespaces=["/live"],
            headers={"User-Agent": UA, "Origin": ORIGIN, "Cookie": self.cookie},
            auth={"csrf": self.token},
            transports=["websocket"],
            wait_timeout=30,
        )
        for event, body in (("deelnemen", {"overleg": self.ids["meeting"]}), ("punt", {"punt": self.ids["item"]})):
            answer = self._call(event, body)
            if not answer.get("ok"):
                raise RuntimeError(f"{event}: {answer}")
        self.sync()

    def _call(self, event: str, body: dict, timeout: float = 30) -> dict:
        timeouts = 0
        for _attempt in range(20):
            try:
                answer = self.sio.call(event, body, namespace="/live", timeout=timeout)
            except socketio.exceptions.TimeoutError:
                # no answer in time (a busy machine): the browser tries again; so does this client, a few times
                self.timeouts += 1
                timeouts += 1
                if timeouts >= 3:
                    raise
                continue
            if "te snel" not in (answer.get("fout") or "").lower():
                return answer
            time.sleep(1)  # the live rate limit: try again, as the browser's retry does
        return answer

    def _on_update(self, data: dict) -> None:
        if data.get("stuk") == self.piece:
            with self.lock:
                self.doc.apply_update(base64.b64decode(data["update"]))

    def _on_notice(self, data: dict) -> None:
        if data.get("soort") == "stuk" and data.get("stuk") == self.piece:  # another process's writer
            threading.Thread(target=self._quiet_sync, daemon=True).start()

    def _quiet_sync(self) -> None:
        with contextlib.suppress(Exception):
            self.sync()

    def sync(self) -> None:
        """What this replica lacks of the piece (the browser's ``syncDoc``)."""
        with self.lock:
            vector = base64.b64encode(self.doc.get_state()).decode("ascii")
        answer = self._call("stuk_sync", {"stuk": self.piece, "vector": vector})
        if not answer.get("ok"):
            raise RuntimeError(f"stuk_sync: {answer}")
        with self.lock:
            self.doc.apply_update(base64.b64decode(answer["update"]))

    # ------------------------------------------------------------------ typing
    def keystroke(self) -> None:
        """A whole token at a random word boundary of this replica (never inside another token)."""
        token = f"k{self.k:03d}t{len(self.typed):04d}"
        with self.lock:
            current = str(self.text)
            boundaries = [0] + [m.end() for m in TOKEN.finditer(current)]
            at = self.rng.choice(boundaries)
            before = self.doc.get_state()
            self.text.insert(len(current[:at].encode()), f" {token}")
            self.pending.append(self.doc.get_update(before))
        self.typed.append(token)

    def flush(self, *, wait: bool = True) -> bool:
        """Send every unacknowledged update merged into one; True when acknowledged (or nothing to send)."""
        with self.lock:
            batch = list(self.pending)
        if not batch:
            return True
        body = {"stuk": self.piece, "update": base64.b64encode(merge_updates(*batch)).decode("ascii")}
        self.sent += 1
        if not wait:  # the answer will be lost with the connection: the updates stay pending
            self.sio.emit("stuk_update", body, namespace="/live")
            return False
        answer = self._call("stuk_update", body, timeout=15)
        if answer.get("ok"):
            with self.lock:
                self.pending = self.pending[len(batch) :]
            return True
        if "te druk" not in (answer.get("fout") or ""):  # a busy piece is tried again at the next flush
            self.errors.append(str(answer.get("fout")))
        return False

    def drop(self) -> None:
        """The connection drops (sometimes right after a send whose answer is lost); typing goes on offline."""
        if self.rng.random() < 0.5:
            self.keystroke()
            with contextlib.suppress(Exception):
                self.flush(wait=False)
        self.sio.disconnect()
        self.drops += 1
        offline_until = time.monotonic() + self.rng.uniform(0.3, 1.5)
        while time.monotonic() < offline_until:
            self.keystroke()
            time.sleep(self.rng.uniform(0.1, 0.4))
        if self.pending:
            self.resent += 1
        self.connect()

    def run(self, seconds: float, drops: int) -> None:
        try:
            self.connect()
            started = time.monotonic()
            drop_at = sorted(self.rng.uniform(0.1, 0.8) * seconds for _ in range(drops))
            last_flush = 0.0
            while (now := time.monotonic() - started) < seconds:
                if drop_at and now >= drop_at[0]:
                    drop_at.pop(0)
                    self.drop()
                    continue
                self.keystroke()
                if now - last_flush >= FLUSH_SECONDS:
                    self.flush()
                    last_flush = now
                time.sleep(self.rng.uniform(0.2, 1.0))
            for _ in drop_at:  # a slow machine: the drops still due happen now, so their number is fixed
                self.drop()
        except Exception as exc:  # noqa: BLE001 - reported, the soak goes on
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def finish(self) -> None:
        """Back online if needed, everything acknowledged, then what others typed last."""
        try:
            if self.sio is None or not self.sio.connected:
                self.connect()
            for _attempt in range(10):
                if self.flush():
                    break
                time.sleep(1)
            self.sync()
        except Exception as exc:  # noqa: BLE001 - reported
            self.errors.append(f"finish: {type(exc).__name__}: {exc}")

    def replica(self) -> str:
        with self.lock:
            return str(self.text)


def soak(clients: int = 50, pieces: int = 5, seconds: float = 60, drops: int = 2, seed_: int = 23) -> dict:
    """Run the soak; returns its summary (``ok`` when nothing was lost, doubled or different)."""
    tmp = Path(tempfile.mkdtemp(prefix="mda-coedit-soak-"))
    database = tmp / "soak.sqlite"
    ids = seed(f"sqlite:///{database}", clients)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDA_")}
    env.update(
        {
            "MDA_DATABASE_URL": f"sqlite:///{database}",
            "MDA_SECRET_KEY": SECRET,
            "MDA_PORT": str(port),
            "MDA_INSTANCE_PATH": str(tmp / "instance"),
            "MDA_BASE_URL": ORIGIN,
            "MDA_RATELIMIT_ENABLED": "0",
            "MDA_SCHEDULER_MINUTES": "0",
            "MDA_CLOCK_START": ids["clock_start"],
            "PYTHONPATH": str(ROOT),
        }
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "mda"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait(port)
        url = f"http://127.0.0.1:{port}"
        piece_ids = _make_pieces(url, ids, pieces)
        people = [Typist(k, url, *ids["cookies"][k + 1], ids, piece_ids[k % pieces], seed_) for k in range(clients)]
        threads = [threading.Thread(target=p.run, args=(seconds, drops)) for p in people]
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds + 300)
        rss = _rss_mb(server.pid)
        finishers = [threading.Thread(target=p.finish) for p in people]
        for t in finishers:
            t.start()
        for t in finishers:
            t.join(300)
        for p in people:  # the last acknowledgements' pushes have reached everyone: one more sync each
            with contextlib.suppress(Exception):
                p.sync()
        stored = _database(database, piece_ids)
    finally:
        server.terminate()
        server.wait(10)
    return summary(people, stored, piece_ids, clients=clients, seconds=seconds, drops=drops, rss=rss)


def _make_pieces(url: str, ids: dict, pieces: int) -> list[int]:
    """The coordinator opens *pieces* shared minutes pieces in the item."""
    chair = Typist(-1, url, *ids["cookies"][0], ids, 0, 0)
    chair.sio = socketio.Client(reconnection=False, websocket_extra_options={"suppress_origin": True})
    chair.sio.connect(
        url,
        namespaces=["/live"],
        headers={"User-Agent": UA, "Origin": ORIGIN, "Cookie": chair.cookie},
        auth={"csrf": chair.token},
        transports=["websocket"],
        wait_timeout=30,
    )
    made = []
    for event, body in (("deelnemen", {"overleg": ids["meeting"]}), ("punt", {"punt": ids["item"]})):
        chair._call(event, body)
    for n in range(pieces):
        answer = chair._call(
            "stuk_nieuw", {"id": f"soak-piece-{n:04d}", "punt": ids["item"], "tekst": f"Notulen {n} (fictief):"}
        )
        if not answer.get("ok"):
            raise RuntimeError(f"stuk_nieuw: {answer}")
        made.append(answer["stuk"])
    chair.sio.disconnect()
    return made


def _database(path: Path, piece_ids: list[int]) -> dict[int, tuple[str, str]]:
    """piece id -> (the stored text of its item, the text of its stored CRDT state)."""
    import sqlite3

    from pycrdt import Doc as Replica

    out = {}
    with sqlite3.connect(path) as conn:
        for piece_id, content, state in conn.execute(
            "SELECT p.id, i.content, p.crdt_state FROM live_piece p JOIN item i ON i.id = p.item_id"
        ):
            if piece_id in piece_ids:
                replica = Replica()
                text = replica.get(TEXT_NAME, type=Text)
                if state:
                    replica.apply_update(state)
                out[piece_id] = (content or "", str(text))
    return out


def summary(people: list[Typist], stored: dict, piece_ids: list[int], **run) -> dict:
    """Tokens lost and doubled, replicas and states that differ from the stored text."""
    lost = doubled = 0
    for p in people:
        found = Counter(TOKEN.findall(stored.get(p.piece, ("", ""))[0]))
        lost += sum(1 for token in p.typed if found[token] == 0)
        doubled += sum(1 for token in p.typed if found[token] > 1)
    result = {
        "clients": run["clients"],
        "pieces": len(piece_ids),
        "seconds": run["seconds"],
        "tokens_typed": sum(len(p.typed) for p in people),
        "updates_sent": sum(p.sent for p in people),
        "lost": lost,
        "doubled": doubled,
        "drops": sum(p.drops for p in people),
        "drops_planned": run["drops"] * len(people),
        "reconnects_with_unsent_edits": sum(p.resent for p in people),
        "calls_timed_out_and_sent_again": sum(p.timeouts for p in people),
        "replicas_differing": sum(1 for p in people if p.replica() != stored.get(p.piece, ("", ""))[0]),
        "states_differing": sum(1 for content, state in stored.values() if content != state),
        "stored_characters": sum(len(content) for content, _state in stored.values()),
        "errors": [e for p in people for e in p.errors][:10],
        "server_rss_mb": round(run["rss"]),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }
    result["ok"] = (
        result["lost"] == result["doubled"] == result["replicas_differing"] == result["states_differing"] == 0
        and result["drops"] == result["drops_planned"]
        and not result["errors"]
        and result["tokens_typed"] > 0
        and len(stored) == len(piece_ids)
    )
    return result


def render(r: dict) -> str:
    return "\n".join(
        [
            "## Co-editing soak (`python -m bench.coedit_soak`, part of `make soak`)",
            "",
            f"{r['clients']} python-socketio clients with pycrdt replicas typing into {r['pieces']} shared minutes "
            f"pieces of one case item for {r['seconds']:.0f} s: a whole token per keystroke every 0.2–1 s at a random "
            "word boundary, unacknowledged updates sent merged every 0.3 s (as `static/js/live.js` does). Each client "
            f"drops its connection {r['drops_planned'] // max(r['clients'], 1)} times at seeded random moments "
            "(about half of them just after a send whose answer is lost), types on offline, reconnects, syncs and "
            "sends its unacknowledged updates again. SQLite, one server process (threading mode).",
            "",
            "| tokens typed | updates sent | lost | doubled | drops (planned) | reconnects with unsent edits "
            "| calls sent again after 15–30 s without an answer "
            "| replicas differing from the database | pieces whose text differs from their CRDT state | server RSS |",
            "|---|---|---|---|---|---|---|---|---|---|",
            f"| {r['tokens_typed']} | {r['updates_sent']} | {r['lost']} | {r['doubled']} | {r['drops']} "
            f"({r['drops_planned']}) | {r['reconnects_with_unsent_edits']} | {r['calls_timed_out_and_sent_again']} "
            f"| {r['replicas_differing']} "
            f"| {r['states_differing']} | {r['server_rss_mb']} MB |",
            "",
            f"Result: {'ok' if r['ok'] else 'FAILED ' + json.dumps(r['errors'], ensure_ascii=False)}. Command: "
            f"`python -m bench.coedit_soak --clients {r['clients']} --pieces {r['pieces']} --seconds "
            f"{r['seconds']:g} --write`. Measured {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC on "
            f"{os.cpu_count()} cores, load average at the end "
            f"{' / '.join(r['loadavg'])} (1 / 5 / 15 min; the machine is shared with other engineers' work).",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--pieces", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--drops", type=int, default=2, help="drops per client (seeded moments)")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--write", action="store_true", help="write the section of docs/benchmarks.md")
    args = parser.parse_args()
    result = soak(args.clients, args.pieces, args.seconds, args.drops, args.seed)
    print(json.dumps(result, ensure_ascii=False))
    if args.write:
        doc.write("coedit_soak", render(result))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
