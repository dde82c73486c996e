"""Co-editing keystroke benchmark: ``python -m bench.live_coedit`` (part of ``make bench``).

A keystroke in a co-edited minutes piece reaching the other screens: a participant's pycrdt replica
(standing in for the browser's yjs) sends its update with ``stuk_update`` and the time is taken until
every other client in the item's room has received it (the ``stuk_update`` push). Against a bare
python-socketio relay of the same update bytes (the same body, to the same number of clients, server
and transport set up as in :mod:`bench.live`: its own process, threading mode, werkzeug, websockets),
in the same run: keystrokes of MDA and of the bare relay alternate, taking turns going first, in
*rounds* blocks whose p95 ratios are reported apart, so that the machine's drift weighs on both.

The writer rotates over the room's participants (several people typing, and no one passing the live
rate limit of 60 events per 10 s); each keeps its own replica, brought up to date before it types.
MDA's side is the whole path: session check, the guard, the CRDT merge under a compare-and-set, the
item's text, the author's audit row, the engine's decision and audit row per viewer, the commit, then
the push to each viewer's socket.

Also measured: the server's resident memory (``VmRSS`` of ``/proc/<pid>/status``) with the largest room
connected, and the bytes stored for one typist at ``--keys-per-second`` (3) for ``--typing-seconds``
(one insertion per keystroke, every tenth a backspace, the browser sending each flush as one update),
with the room's other participants watching; extrapolated to an hour.

``--quick``: 10 and 50 clients, fewer keystrokes, 10 s of typing (labelled quick). Reports go to
``build/bench/live_coedit.md``; ``--write-docs`` (``make bench-docs``, never with ``--quick``) also
replaces the section ``live_coedit`` of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import socketio
from pycrdt import Doc, Text

from bench import doc
from bench.live import ORIGIN, SECRET, UA, _free_port, _pct, _rss_mb, _wait, seed

ROOT = Path(__file__).resolve().parents[1]
FULL = dict(sizes=(50, 200), keystrokes=60, rounds=3, typing_seconds=60.0)
QUICK = dict(sizes=(10, 50), keystrokes=20, rounds=2, typing_seconds=10.0, hour_keys=1800)
WARMUP = 3
TEXT_NAME = "tekst"  # mda.live.crdt.TEXT_NAME: not imported, so that the bench's client side stays the browser's

BARE_RELAY = """
import sys, socketio
from werkzeug.serving import make_server
sio = socketio.Server(async_mode="threading", cors_allowed_origins="*")
@sio.on("enter")
def enter(sid, data):
    sio.enter_room(sid, "room")
    return True
@sio.on("stuk_update")
def relay(sid, data):
    sio.emit("stuk_update", data, to="room", skip_sid=sid)
    return {"ok": True}
make_server("127.0.0.1", int(sys.argv[1]), socketio.WSGIApp(sio), threaded=True).serve_forever()
"""


class Screen:
    """One participant's browser: a socket and the times at which updates arrived (keyed by their bytes)."""

    def __init__(
        self, url: str, namespace: str, cookie: str | None = None, token: str | None = None, client_id: int = 0
    ):
        self.namespace = namespace
        self.arrived: dict[str, float] = {}
        self.doc = Doc(client_id=client_id) if client_id else Doc()
        self.text = self.doc.get(TEXT_NAME, type=Text)
        self.seen = 0  # how many of the run's updates this replica has applied
        self.sio = socketio.Client(reconnection=False, websocket_extra_options={"suppress_origin": True})
        self.sio.on("stuk_update", self._on_update, namespace=namespace)
        headers = {"User-Agent": UA, "Origin": ORIGIN, **({"Cookie": cookie} if cookie else {})}
        self.sio.connect(
            url,
            namespaces=[namespace],
            headers=headers,
            auth={"csrf": token} if token else None,
            transports=["websocket"],
            wait_timeout=30,
        )

    def _on_update(self, data: dict) -> None:
        self.arrived.setdefault(data["update"], time.perf_counter())

    def call(self, event: str, body: dict) -> dict:
        return self.sio.call(event, body, namespace=self.namespace, timeout=60)

    def keystroke(self, log: list[bytes], char: str) -> bytes:
        """Catch up with the run's updates, then type *char* at the end (a backspace when it is ``\\b``)."""
        for update in log[self.seen :]:
            self.doc.apply_update(update)
        self.seen = len(log)
        before = self.doc.get_state()
        length = len(str(self.text))
        if char == "\b" and length:
            del self.text[length - 1 : length]  # ascii text: characters are bytes
        else:
            self.text += char if char != "\b" else "x"
        update = self.doc.get_update(before)
        self.seen += 1
        log.append(update)
        return update


@dataclass
class Side:
    """MDA or the bare relay: its screens, the update log of its piece and the measured delays."""

    name: str
    screens: list[Screen] = field(default_factory=list)
    log: list[bytes] = field(default_factory=list)
    body: dict = field(default_factory=dict)
    delays: list[list[float]] = field(default_factory=list)  # per round: every receiver's delay in ms
    missed: int = 0
    refused: list[str] = field(default_factory=list)


def _keystroke(side: Side, writer_index: int, char: str, timeout: float = 60) -> list[float] | None:
    """One keystroke by screen *writer_index*: the delays (ms) until each other screen had it."""
    writer = side.screens[writer_index]
    update = writer.keystroke(side.log, char)
    encoded = base64.b64encode(update).decode("ascii")
    others = [s for i, s in enumerate(side.screens) if i != writer_index]
    start = time.perf_counter()
    answer = writer.call("stuk_update", {**side.body, "update": encoded})
    if not answer.get("ok"):
        side.refused.append(str(answer.get("fout")))
        return None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(encoded in s.arrived for s in others):
        time.sleep(0.001)
    got = [(s.arrived[encoded] - start) * 1000 for s in others if encoded in s.arrived]
    side.missed += len(others) - len(got)
    for s in others:  # the delays are taken: keep the screens' dictionaries small
        s.arrived.pop(encoded, None)
    return got


def _enter_mda(url: str, ids: dict, k: int) -> Screen:
    screen = Screen(url, "/live", *ids["cookies"][k], client_id=10_000 + k)
    for event, body in (("deelnemen", {"overleg": ids["meeting"]}), ("punt", {"punt": ids["item"]})):
        answer = screen.call(event, body)
        if not answer.get("ok"):
            raise RuntimeError(f"{event}: {answer}")
    return screen


def _enter_bare(url: str, k: int) -> Screen:
    screen = Screen(url, "/", client_id=10_000 + k)
    screen.call("enter", {})
    return screen


def _new_piece(screen: Screen, ids: dict, event_id: str) -> dict:
    """A new minutes piece in the bench's item, and its state as the server's first ``stuk_sync`` gives it."""
    made = screen.call("stuk_nieuw", {"id": event_id, "punt": ids["item"], "tekst": "Notulen (fictief):"})
    synced = screen.call("stuk_sync", {"stuk": made.get("stuk"), "vector": ""}) if made.get("ok") else made
    if not synced.get("ok") or not synced.get("schrijven"):
        raise RuntimeError(f"{event_id}: {synced}")
    return {"stuk": made["stuk"], "state": base64.b64decode(synced["update"])}


def _db_bytes(path: Path) -> dict:
    """What the database holds of co-editing: the pieces' CRDT states, the revisions, the audit rows, the file."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        row = conn.execute("SELECT coalesce(sum(length(crdt_state)), 0) FROM live_piece").fetchone()
        revisions = conn.execute("SELECT count(*), coalesce(sum(length(content)), 0) FROM live_revision").fetchone()
        columns = [r[1] for r in conn.execute("PRAGMA table_info(audit_event)")]
        audit = conn.execute(
            f"SELECT count(*), coalesce(sum({' + '.join(f'coalesce(length({c}), 0)' for c in columns)}"
            "), 0) FROM audit_event"
        ).fetchone()
        pages = conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    return {
        "crdt": row[0],
        "revisions": revisions[0],
        "revision_bytes": revisions[1],
        "audit_rows": audit[0],
        "audit_bytes": audit[1],
        "file": pages,
    }


def hour_of_state(keys: int, rng: random.Random) -> dict:
    """*keys* keystrokes of one typist (every tenth a backspace) merged one by one with the server's own
    :func:`mda.live.crdt.merge`, as ``stuk_update`` stores them: the state's bytes at the end against its text and
    a snapshot of it, and the time one merge (with the text read back) takes at the end."""
    from mda.live import crdt

    replica = Doc(client_id=77)
    text = replica.get(TEXT_NAME, type=Text)
    state = crdt.initial_state("Notulen (fictief):")
    replica.apply_update(state)
    last: list[float] = []
    for n in range(keys):
        before = replica.get_state()
        length = len(str(text))
        if rng.random() < 0.1 and length:
            del text[length - 1 : length]
        else:
            text += rng.choice("abcdefghijklmnopqrstuvwxyz     ")
        update = replica.get_update(before)
        started = time.perf_counter()
        state, stored = crdt.merge(state, update)
        if n >= keys - 100:
            last.append((time.perf_counter() - started) * 1000)
    snapshot = Doc()
    snapshot.apply_update(state)
    return {
        "keys": keys,
        "state": len(state),
        "text": len(stored),
        "snapshot": len(snapshot.get_update()),
        "merge_ms": _pct(last, 50),
    }


def typing(
    screen: Screen,
    body: dict,
    log: list[bytes],
    seconds: float,
    keys_per_second: float,
    database: Path,
    rng: random.Random,
) -> dict:
    """One typist, ``seconds × keys_per_second`` keystrokes paced at *keys_per_second* (a busy server slows the
    pace, never drops a keystroke): what the database grew by, and the text typed."""
    before = _db_bytes(database)
    keys, text_typed = 0, 0
    started = time.monotonic()
    refused = []
    for _n in range(max(1, round(seconds * keys_per_second))):
        char = "\b" if rng.random() < 0.1 else rng.choice("abcdefghijklmnopqrstuvwxyz     ")
        update = screen.keystroke(log, char)
        answer = screen.call("stuk_update", {**body, "update": base64.b64encode(update).decode("ascii")})
        if not answer.get("ok"):
            refused.append(str(answer.get("fout")))
        keys += 1
        text_typed = len(str(screen.text))
        time.sleep(max(0.0, started + keys / keys_per_second - time.monotonic()))
    elapsed = time.monotonic() - started
    after = _db_bytes(database)
    grown = {k: after[k] - before[k] for k in after}
    return {"keys": keys, "seconds": elapsed, "text": text_typed, "grown": grown, "refused": refused}


def run(
    sizes=FULL["sizes"],
    keystrokes: int = FULL["keystrokes"],
    rounds: int = FULL["rounds"],
    typing_seconds: float = FULL["typing_seconds"],
    keys_per_second: float = 3.0,
    hour_keys: int | None = None,
    quick: bool = False,
    write: bool = True,
) -> dict:
    """Measure every room size in *sizes*; returns the figures (and, with *write*, saves the report)."""
    tmp = Path(tempfile.mkdtemp(prefix="mda-bench-coedit-"))
    os.environ.setdefault("MDA_INSTANCE_PATH", str(tmp / "instance"))
    database = tmp / "coedit.sqlite"
    database_url = f"sqlite:///{database}"
    ids = seed(database_url, max(sizes))
    mda_port, bare_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDA_")}
    env.update(
        {
            "MDA_DATABASE_URL": database_url,
            "MDA_SECRET_KEY": SECRET,
            "MDA_PORT": str(mda_port),
            "MDA_INSTANCE_PATH": str(tmp / "instance"),
            "MDA_BASE_URL": ORIGIN,
            "MDA_RATELIMIT_ENABLED": "0",
            "MDA_SCHEDULER_MINUTES": "0",
            "MDA_CLOCK_START": ids["clock_start"],
            "PYTHONPATH": str(ROOT),
        }
    )
    mda_proc = subprocess.Popen(
        [sys.executable, "-m", "mda"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    bare_proc = subprocess.Popen(
        [sys.executable, "-c", BARE_RELAY, str(bare_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    rng = random.Random(23)
    result = {"sizes": {}, "quick": quick, "keystrokes": keystrokes, "rounds": rounds}
    try:
        _wait(mda_port)
        _wait(bare_port)
        result["rss_start"] = _rss_mb(mda_proc.pid)
        mda_url, bare_url = f"http://127.0.0.1:{mda_port}", f"http://127.0.0.1:{bare_port}"
        mda = Side("mda")
        bare = Side("bare")
        first = _enter_mda(mda_url, ids, 1)
        made = _new_piece(first, ids, "bench-coedit-0001")
        mda.log.append(made["state"])  # every writer starts from the piece's text, as a browser's first sync does
        mda.body = {"stuk": made["stuk"]}
        bare.body = {"stuk": made["stuk"], "punt": ids["item"]}  # the body MDA pushes: {stuk, punt, update}
        mda.screens.append(first)
        for size in sizes:
            while len(mda.screens) < size:
                mda.screens.append(_enter_mda(mda_url, ids, len(mda.screens) + 1))
            while len(bare.screens) < size:
                bare.screens.append(_enter_bare(bare_url, len(bare.screens) + 1))
            for side in (mda, bare):
                side.delays, side.missed = [], 0
            writer = 0
            for block in range(rounds):
                kept = {"mda": [], "bare": []}
                for n in range(-WARMUP if block == 0 else 0, keystrokes):
                    writer = (writer + 1) % size  # the next person types: each writes once per `size` keystrokes
                    char = rng.choice("abcdefghijklmnopqrstuvwxyz ")
                    order = (mda, bare) if (n + block) % 2 == 0 else (bare, mda)
                    for side in order:
                        got = _keystroke(side, writer, char)
                        if n >= 0 and got is not None:
                            kept[side.name].extend(got)
                mda.delays.append(kept["mda"])
                bare.delays.append(kept["bare"])
            rss = _rss_mb(mda_proc.pid)
            figures = _figures(mda, bare)
            result["sizes"][size] = {
                **figures,
                "rss": rss,
                "missed": mda.missed + bare.missed,
                "refused": mda.refused[:3] + bare.refused[:3],
            }
            print(
                f"{size} clients: bare p50 {figures['bare'][0]:.1f} p95 {figures['bare'][1]:.1f} ms; MDA p50 "
                f"{figures['mda'][0]:.1f} p95 {figures['mda'][1]:.1f} ms; p95 ratio {figures['ratio']:.2f} "
                f"(rounds {', '.join(f'{r:.2f}' for r in figures['ratios'])}); server RSS {rss:.0f} MB; "
                f"missed {mda.missed + bare.missed}",
                flush=True,
            )
        # one typist in a fresh piece, watched by the whole room
        typist = mda.screens[0]
        fresh = _new_piece(typist, ids, "bench-coedit-0002")
        typist.doc = Doc(client_id=99_999)
        typist.text, typist.seen = typist.doc.get(TEXT_NAME, type=Text), 0
        result["typing"] = typing(
            typist, {"stuk": fresh["stuk"]}, [fresh["state"]], typing_seconds, keys_per_second, database, rng
        )
        result["typing"]["viewers"] = len(mda.screens) - 1
        result["typing"]["keys_per_second"] = keys_per_second
        result["hour"] = hour_of_state(int(hour_keys if hour_keys is not None else keys_per_second * 3600), rng)
        result["rss_end"] = _rss_mb(mda_proc.pid)
        result["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
        t = result["typing"]
        print(f"typing: {t['keys']} keystrokes in {t['seconds']:.0f} s grew {t['grown']}", flush=True)
        # No disconnect(): websocket-client's close can wait forever (see bench.live); the servers stop below.
    finally:
        mda_proc.terminate()
        bare_proc.terminate()
        mda_proc.wait(10)
        bare_proc.wait(10)
    if write:
        report = render(result)
        saved = doc.save("live_coedit", report)
        print("\n" + report)
        print(f"Written to {saved.relative_to(ROOT)}.")
    return result


def _figures(mda: Side, bare: Side) -> dict:
    """p50 / p95 over every round, and the p95 ratio MDA / bare per round and over all."""
    everything = {side.name: [d for block in side.delays for d in block] for side in (mda, bare)}
    ratios = [_pct(m, 95) / max(_pct(b, 95), 0.001) for m, b in zip(mda.delays, bare.delays, strict=True) if m and b]
    out = {name: (_pct(v, 50), _pct(v, 95)) if v else (float("nan"),) * 2 for name, v in everything.items()}
    out["ratio"] = out["mda"][1] / max(out["bare"][1], 0.001)
    out["ratios"] = ratios
    out["samples"] = len(everything["mda"])
    return out


def _per_hour(t: dict, key: str) -> float:
    return t["grown"][key] / t["seconds"] * 3600


def render(r: dict) -> str:
    """The section of docs/benchmarks.md."""
    command = "python -m bench.live_coedit" + (" --quick" if r["quick"] else "")
    t, h = r["typing"], r["hour"]
    mb = 1024 * 1024
    lines = [
        f"## Co-editing: keystroke to the other screens{' (quick run)' if r['quick'] else ''}",
        "",
        f"`{command}` (part of `make bench`; `make bench-docs` writes this section). Measured "
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC on {platform.machine()}, {os.cpu_count()} CPU cores, "
        f"Python {platform.python_version()}; load average at the end of the run "
        f"{' / '.join(r['loadavg'])} (1 / 5 / 15 min, `/proc/loadavg`; the machine is shared with other work, so "
        "compare the ratio of one run, not times across runs).",
        "",
        "One MDA++ server process (`python -m mda`: threading mode, werkzeug, websockets, SQLite) and a bare "
        "python-socketio relay in its own process set up the same way; python-socketio clients in the item's room "
        "of each, in this process (one clock). A keystroke is a pycrdt update of one character sent with "
        "`stuk_update` by the next participant in turn; the delay runs from the send until each other client has "
        f"the pushed update. {r['keystrokes']} keystrokes per side per round after {WARMUP} not counted, "
        f"{r['rounds']} rounds, MDA and bare alternated keystroke by keystroke (taking turns going first). "
        "MDA's path: the guard (session, CSRF origin, rate limit), the CRDT merge under a compare-and-set, the "
        "item's text, the author's audit row, every viewer's login session, the engine's decision for every "
        "viewer (kept between keystrokes while the access epochs stand, see below) with an audit row per viewer "
        "per minute, the commit, then one emit per viewer's socket. Target: MDA's p95 ≤ 1.5 × the bare relay's.",
        "",
        "| clients in the room | bare relay p50 / p95 | MDA p50 / p95 | p95 ratio (per round) | target met "
        "| server RSS |",
        "|---|---|---|---|---|---|",
    ]
    for size, f in r["sizes"].items():
        lines.append(
            f"| {size} | {f['bare'][0]:.1f} / {f['bare'][1]:.1f} ms | {f['mda'][0]:.1f} / "
            f"{f['mda'][1]:.1f} ms | **{f['ratio']:.2f}×** ({', '.join(f'{x:.2f}' for x in f['ratios'])}) "
            f"| {'ja' if f['ratio'] <= 1.5 else '**nee**'} | {f['rss']:.0f} MB |"
        )
    biggest = max(r["sizes"])
    lines += [
        "",
        f"Server RSS (`VmRSS`): {r['rss_start']:.0f} MB at start, {r['sizes'][biggest]['rss']:.0f} MB with "
        f"{biggest} participants connected (target ≤ 300 MB: "
        f"{'met' if r['sizes'][biggest]['rss'] <= 300 else '**missed**'}), {r['rss_end']:.0f} MB after the typing "
        "run. Updates that did not arrive within 60 s: "
        f"{sum(f['missed'] for f in r['sizes'].values())}.",
        "",
        "Where the time goes. The server's work per keystroke, profiled in process with 50 viewers "
        "(`python -m bench.live_coedit --profile 50`, 2026-12-05 10:55 UTC, load average 2.2: CPU p50 7.9 ms; "
        "15.9 ms before the answers were kept, at load 9.9): the session check and the access epochs (one "
        "statement each), the piece and its item, the final-minutes and escalation checks, the merge with the "
        "item's text and the revision under the compare-and-set, the author's audit row, each viewer's login "
        "session, the synced commit, then the emits. What is not asked again per keystroke: the writer's right "
        "to reach the piece and each viewer's right to enter the room and see it, which are the engine's answers "
        "kept under the access epochs of the case, the meeting and everything (`mda/live/facts.py`, "
        "`mda/core/epoch.py`): any write they are made from, in any process, raises an epoch in its own "
        "transaction, and the next keystroke decides again; so do a minute, a new day, a viewer due a view audit "
        "row, and a decision on break-glass. Not done on purpose: sending before the commit (commit, then emit). "
        "A browser sends its edits merged every 300 ms, so what a participant waits for is mostly that batching, "
        "not the server.",
        "",
        f"### Stored bytes per hour of typing ({t['keys_per_second']:g} keystrokes/s, "
        f"{t['viewers']} viewers in the room)",
        "",
        f"One typist, {t['keys']} keystrokes in {t['seconds']:.0f} s (every tenth a backspace), each sent as one "
        f"update as the browser's flush does at this pace; {t['text']} characters of text at the end. What the "
        "database grew by, extrapolated linearly to an hour:",
        "",
        "| what | grew by in the run | per hour |",
        "|---|---|---|",
        f"| CRDT state of the piece (`live_piece.crdt_state`) | {t['grown']['crdt']:,} bytes | "
        f"{_per_hour(t, 'crdt') / mb:.2f} MB |",
        f"| revisions (`live_revision`: one per author's 5-minute run of typing) | {t['grown']['revisions']} rows, "
        f"{t['grown']['revision_bytes']:,} bytes of text | see below |",
        f"| audit rows (the author's change and every viewer's view) | {t['grown']['audit_rows']:,} rows, "
        f"{t['grown']['audit_bytes']:,} bytes | {_per_hour(t, 'audit_rows'):,.0f} rows, "
        f"{_per_hour(t, 'audit_bytes') / mb:.0f} MB |",
        f"| the SQLite file (tables and indexes) | {t['grown']['file']:,} bytes | {_per_hour(t, 'file') / mb:.0f} MB |",
        "",
        f"The CRDT state measured over {h['keys'] / t['keys_per_second'] / 60:.0f} minutes at this pace, without the "
        f"server: {h['keys']:,} keystrokes "
        "merged one by one with the server's own `crdt.merge` leave a state of "
        f"**{h['state'] / 1024:.0f} KB** for {h['text']:,} characters of text (a snapshot of the same document: "
        f"{h['snapshot'] / 1024:.0f} KB); one merge with the text read back takes {h['merge_ms']:.1f} ms at the end "
        "of that time.",
        "",
        "How the state is kept (no compaction): the stored state is the merge of every update the server "
        "accepted (`pycrdt.merge_updates`, see `mda/live/crdt.py`), so a late or re-sent update is never lost; a "
        "keystroke adds a few bytes (its position, client and clock), and deleted characters stay in it (as in "
        "yjs' own update log) until the piece is destroyed, which drops the whole state (`forget_states`). A "
        "snapshot would be about a third of the size but would drop an update still waiting for an earlier one; "
        "at tens of kilobytes per hour of typing that is not worth the risk. Revisions are one row per author's "
        "run of typing (5 minutes, or until someone else writes): an hour of one typist is about 12 rows, each "
        "holding the text of that moment. Audit rows: one per change naming its author, and one per viewer per "
        "piece per minute (`coedit.VIEW_AUDIT_WINDOW`) naming what was shown to whom; before that batching it was "
        "one row per viewer per keystroke (a room of 200: 200 rows a keystroke).",
        "",
        "The price of keeping everything: each keystroke's merge reads the whole state, so its cost grows wit"
        "h the piece's history (the merge time above, at the end of an hour of one typist in one piece). A co"
        "mpaction that replaces the state by a snapshot whenever no update waits for an earlier one (the merg"
        "ed update's state vector equal to that of the document built from it) would bound it; not done, as a"
        "n hour of continuous typing in one piece is more than a case discussion's minutes hold.",
        "",
    ]
    return "\n".join(lines)


def profile(viewers: int = 50, keystrokes: int = 200) -> None:
    """Where one keystroke spends its time on the server (pyinstrument), in process like :mod:`bench.live_profile`:
    *viewers* Flask-SocketIO test clients in the item's room, the first one typing *keystrokes* characters."""
    from pyinstrument import Profiler

    from mda import create_app
    from mda.core.runtime import tune_garbage_collector
    from mda.extensions import socketio as flask_socketio

    tmp = Path(tempfile.mkdtemp(prefix="mda-coedit-profile-"))
    url = f"sqlite:///{tmp / 'coedit.sqlite'}"
    ids = seed(url, viewers)
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET,
            "BASE_URL": ORIGIN,
            "INSTANCE_PATH": str(tmp),
            "RATELIMIT_ENABLED": False,
            "LIVE_RATE_LIMIT": (10**9, 10),
        }
    )
    clients = []
    for cookie, token in ids["cookies"][: viewers + 1]:
        http = app.test_client()
        name, _, value = cookie.partition("=")
        http.set_cookie(name, value)
        client = flask_socketio.test_client(
            app,
            namespace="/live",
            flask_test_client=http,
            auth={"csrf": token},
            headers={"User-Agent": UA, "Origin": ORIGIN},
        )
        for event, body in (("deelnemen", {"overleg": ids["meeting"]}), ("punt", {"punt": ids["item"]})):
            if not client.emit(event, body, namespace="/live", callback=True).get("ok"):
                raise SystemExit(f"{event} refused")
        clients.append(client)
    writer = clients[0]

    def call(event: str, body: dict) -> dict:
        return writer.emit(event, body, namespace="/live", callback=True)

    made = call("stuk_nieuw", {"id": "profile-piece-1", "punt": ids["item"], "tekst": "Notulen (fictief):"})
    synced = call("stuk_sync", {"stuk": made["stuk"], "vector": ""})
    screen = Screen.__new__(Screen)  # a replica without a socket
    screen.doc = Doc(client_id=5)
    screen.text, screen.seen = screen.doc.get(TEXT_NAME, type=Text), 0
    log = [base64.b64decode(synced["update"])]
    tune_garbage_collector()
    walls, cpus = [], []
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for n in range(keystrokes):
        update = screen.keystroke(log, "abcdefghij "[n % 11])
        wall, cpu = time.perf_counter(), time.thread_time()
        answer = call("stuk_update", {"stuk": made["stuk"], "update": base64.b64encode(update).decode("ascii")})
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.thread_time() - cpu) * 1000)
        if not answer.get("ok"):
            raise SystemExit(f"refused: {answer}")
        if n % 10 == 0:  # keep the test clients' queues short
            for client in clients:
                client.get_received("/live")
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    print(
        f"{viewers} viewers, {keystrokes} keystrokes: merge + push p50 {_pct(walls, 50):.2f} ms, p90 "
        f"{_pct(walls, 90):.2f} ms; CPU p50 {_pct(cpus, 50):.2f} ms; load average "
        f"{' / '.join(Path('/proc/loadavg').read_text().split()[:3])}"
    )


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.live_coedit [--quick] [--write-docs]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 and 50 clients, fewer keystrokes, 10 s typing")
    parser.add_argument("--write-docs", action="store_true", help="also replace its section of docs/benchmarks.md")
    parser.add_argument("--keys-per-second", type=float, default=3.0)
    parser.add_argument("--typing-seconds", type=float)
    parser.add_argument("--profile", type=int, metavar="VIEWERS", help="profile one keystroke's server path instead")
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.profile)
        return
    if args.quick and args.write_docs:
        parser.error("a quick run is not written to docs/benchmarks.md: drop --quick or --write-docs")
    mode = dict(QUICK if args.quick else FULL)
    if args.typing_seconds:
        mode["typing_seconds"] = args.typing_seconds
    result = run(**mode, keys_per_second=args.keys_per_second, quick=args.quick)
    if args.write_docs:
        doc.write("live_coedit", render(result))
        print(f"Written to {doc.TARGET.relative_to(ROOT)}.")


if __name__ == "__main__":
    main()
