"""Live fan-out benchmark: ``python -m bench.live`` (part of ``make bench``).

One change reaching 50, 100 and 200 clients in one case item's room, end to end, against a bare
python-socketio room broadcast of the same payload, in the same run; and the MDA server's memory
with 200 clients connected. Both servers run as their own processes (threading mode, werkzeug,
websockets); the clients are python-socketio clients in this process (one clock for send and receive).

Measured per client, from the moment the writer's save is emitted:
- *notice*: the first message about the change arrives (what a bare broadcast does);
- *view*: the client has its own view of the change (filtered by the sharing engine, audited) — what a
  participant actually sees change. Since the push (:mod:`mda.live.push`) that is the pushed ``stuk``
  event; a client that gets a room notice instead (another process, a failed check) fetches its view.

Sessions are signed directly with the app's secret (no 200 password logins); everything else is the
real path: connect (session + CSRF), join, enter the item room, save through the guard.

``--quick``: 20 and 50 clients, 10 changes each (labelled quick). The table goes to ``build/bench/live.md``.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import socketio

from bench import doc

ROOT = Path(__file__).resolve().parents[1]
UA = "mda-bench"
ORIGIN = "http://mda.bench"
SIZES = [int(x) for x in os.environ.get("MDA_BENCH_LIVE_SIZES", "50,100,200").split(",")]
ROUNDS = int(os.environ.get("MDA_BENCH_LIVE_ROUNDS", "40"))
WARMUP = 3
SECRET = "bench-live-secret-key-0123456789-abcdefghijkl"

BARE_SERVER = '''
import sys, socketio
from werkzeug.serving import make_server
sio = socketio.Server(async_mode="threading", cors_allowed_origins="*")
@sio.on("enter")
def enter(sid, data):
    sio.enter_room(sid, "room")
    return True
@sio.on("go")
def go(sid, data):
    sio.emit("melding", data, to="room")
    return True
make_server("127.0.0.1", int(sys.argv[1]), socketio.WSGIApp(sio), threaded=True).serve_forever()
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int) -> None:
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on {port} did not start")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def seed(database_url: str, n_users: int) -> dict:
    """A meeting with one case item; *n_users* professionals in the case's circle, invited for the whole meeting."""
    from flask import session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf
    from sqlmodel import Session

    from mda import create_app
    from mda.auth.models import User
    from mda.cases.models import Case, CaseMember, CaseOrganisation
    from mda.cli import run_migrations
    from mda.core.timeutil import utcnow
    from mda.meetings.models import AgendaItem, Invitation, Meeting
    from mda.organisations.models import Organisation, Region

    # the secret goes in the config, not into os.environ: this also runs inside the test suite (the soak
    # smoke test), where a changed MDA_SECRET_KEY would reach every server process a later test starts
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "BASE_URL": ORIGIN, "SECRET_KEY": SECRET})
    with app.app_context():
        run_migrations(app)
    now = utcnow()
    with Session(app.extensions["mda_engine"], expire_on_commit=False) as s:
        region = Region(code="BENCH", name="Benchregio (fictief)")
        s.add(region)
        s.flush()
        org = Organisation(name="Bench VT (fictief)", type_code="VT", region_id=region.id)
        s.add(org)
        s.flush()
        users = [User(email=f"bench{i}@bench.invalid", name=f"Bench Gebruiker {i} (fictief)", organisation_id=org.id,
                      password_hash="x", created_at=now, roles_text="professional" if i else "coordinator")
                 for i in range(n_users + 1)]
        s.add_all(users)
        s.flush()
        case = Case(reference="MDA-BENCH-1", region_id=region.id, coordinator_id=users[0].id, reason="Bench",
                    goal="Bench", opened_at=now)
        s.add(case)
        s.flush()
        s.add(CaseOrganisation(case_id=case.id, organisation_id=org.id, added_at=now))
        meeting = Meeting(uid="bench-live", type_code="casuistiekoverleg", title="Bench (fictief)", starts_at=now,
                          ends_at=now, coordinator_id=users[0].id, chair_id=users[0].id, created_at=now,
                          updated_at=now)
        s.add(meeting)
        s.flush()
        item = AgendaItem(uid="bench-item", meeting_id=meeting.id, position=1, kind="casus", title="casus",
                          case_id=case.id, minutes=20, starts_at=now, ends_at=now)
        s.add(item)
        for u in users[1:]:
            s.add(CaseMember(case_id=case.id, user_id=u.id, added_at=now))
            s.add(Invitation(meeting_id=meeting.id, user_id=u.id, created_at=now))
        s.commit()
        ids = {"meeting": meeting.id, "item": item.id, "users": [u.id for u in users]}
    cookies = []
    with Session(app.extensions["mda_engine"], expire_on_commit=False) as s:
        for uid in ids["users"]:
            with app.test_request_context(headers={"User-Agent": UA}, environ_base={"REMOTE_ADDR": "127.0.0.1"}):
                login_user(s.get(User, uid))
                session["auth_at"] = session["last_seen"] = now.isoformat()
                token = generate_csrf()
                value = app.session_interface.get_signing_serializer(app).dumps(dict(session))
                cookies.append((f"{app.config['SESSION_COOKIE_NAME']}={value}", token))
    app.extensions["mda_engine"].dispose()
    ids["cookies"] = cookies
    # the server's clock starts where the seeder's stood (in a test: the suite's named instant), or the
    # sessions' "last seen" and the meeting's day would lie in another time than the server's
    ids["clock_start"] = now.isoformat()
    return ids


class Client:
    def __init__(self, url: str, namespace: str, cookie: str | None = None, token: str | None = None):
        self.namespace, self.notice, self.view = namespace, {}, {}
        self.sio = socketio.Client(reconnection=False, websocket_extra_options={"suppress_origin": True})
        self.sio.on("melding", self._on_notice, namespace=namespace)
        self.sio.on("stuk", self._on_push, namespace=namespace)
        headers = {"User-Agent": UA, "Origin": ORIGIN, **({"Cookie": cookie} if cookie else {})}
        self.sio.connect(url, namespaces=[namespace], headers=headers, auth={"csrf": token} if token else None,
                         transports=["websocket"], wait_timeout=20)
        self.fetch = None

    def _on_push(self, data):
        """The changed piece as this user may see it, pushed by the server: notice and own view at once."""
        now = time.perf_counter()
        Client.payload = data
        self.notice.setdefault(Client.current, now)
        self.view.setdefault(Client.current, now)

    def _on_notice(self, data):
        if data.get("soort") != "punt":  # presence and chairing (others joining): not what is measured here
            return
        key = data.get("rnd") if "rnd" in data else Client.current
        self.notice[key] = time.perf_counter()
        if self.fetch:
            threading.Thread(target=self.fetch, args=(self, key), daemon=True).start()


Client.current = None
Client.payload = {}  # the last pushed rows: the bare broadcast sends the same payload


def one_round(clients: list[Client], trigger, rnd: int, done_key: str) -> tuple[list[float], list[float]]:
    """Trigger round *rnd* and wait (at most 30 s) until every client has it; the times in ms."""
    Client.current = rnd
    start = time.perf_counter()
    trigger(rnd)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all(rnd in getattr(c, done_key) for c in clients):
            break
        time.sleep(0.002)
    notices = [(c.notice[rnd] - start) * 1000 for c in clients if rnd in c.notice]
    views = [(c.view[rnd] - start) * 1000 for c in clients if rnd in c.view]
    time.sleep(0.05)
    return notices, views


def run(sizes: list[int] = SIZES, rounds: int = ROUNDS, quick: bool = False) -> None:
    """Measure each size in *sizes* with *rounds* changes; print the table and save it to build/bench/live.md."""
    tmp = Path(tempfile.mkdtemp(prefix="mda-bench-live-"))
    # this process seeds through the app too: its keys go to the run's folder, not to the checkout's instance/
    os.environ.setdefault("MDA_INSTANCE_PATH", str(tmp / "instance"))
    database_url = f"sqlite:///{tmp / 'live.sqlite'}"
    biggest = max(sizes)
    ids = seed(database_url, biggest)
    mda_port, bare_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDA_")}
    env.update({"MDA_DATABASE_URL": database_url, "MDA_SECRET_KEY": SECRET, "MDA_PORT": str(mda_port),
                "MDA_INSTANCE_PATH": str(tmp / "instance"), "MDA_BASE_URL": ORIGIN, "MDA_RATELIMIT_ENABLED": "0",
                "MDA_CLOCK_START": ids["clock_start"], "PYTHONPATH": str(ROOT)})
    mda_proc = subprocess.Popen([sys.executable, "-m", "mda"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    bare_proc = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(bare_port)], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    rows = []
    try:
        _wait(mda_port)
        _wait(bare_port)
        base_rss = _rss_mb(mda_proc.pid)
        mda_url, bare_url = f"http://127.0.0.1:{mda_port}", f"http://127.0.0.1:{bare_port}"
        writer = Client(mda_url, "/live", *ids["cookies"][0])
        writer.sio.call("deelnemen", {"overleg": ids["meeting"]}, namespace="/live", timeout=30)
        writer.sio.call("punt", {"punt": ids["item"]}, namespace="/live", timeout=30)
        piece = writer.sio.call("stuk_nieuw", {"id": "bench-piece-0001", "punt": ids["item"], "tekst": "Begin"},
                                namespace="/live", timeout=30)
        version = [piece["versie"]]
        mda_clients: list[Client] = []
        bare_writer = Client(bare_url, "/")
        bare_writer.sio.call("enter", {}, timeout=30)  # MDA's writer is in its item's room too, and gets the push
        bare_clients: list[Client] = []

        failures = [0]

        def fetch(client: Client, key):
            try:
                client.sio.call("punt", {"punt": ids["item"]}, namespace="/live", timeout=30)
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
                failures[0] += 1  # counted and reported; such a client never saw its view in time
                return
            client.view[key] = time.perf_counter()

        for size in sizes:
            while len(mda_clients) < size:
                cookie, token = ids["cookies"][len(mda_clients) + 1]
                c = Client(mda_url, "/live", cookie, token)
                c.sio.call("deelnemen", {"overleg": ids["meeting"]}, namespace="/live", timeout=30)
                c.sio.call("punt", {"punt": ids["item"]}, namespace="/live", timeout=30)
                c.fetch = fetch
                mda_clients.append(c)
            while len(bare_clients) < size:
                c = Client(bare_url, "/")
                c.sio.call("enter", {}, timeout=30)
                bare_clients.append(c)
            text = "Notulen " + "x" * 200

            def save(rnd, size=size, text=text):
                answer = writer.sio.call("stuk_opslaan", {"id": f"bench-{size}-{rnd:05d}", "stuk": piece["stuk"],
                                                          "versie": version[0], "tekst": f"{text} {rnd}"},
                                         namespace="/live", timeout=30)
                version[0] = answer.get("versie", version[0])

            for c in [*mda_clients, *bare_clients]:  # the rounds' numbers start again for this size
                c.notice.clear()
                c.view.clear()

            def broadcast(rnd):  # the same payload as the rows MDA pushed (a few-byte notice would flatter it)
                # a call, like MDA's save: the writer waits for its answer, which the server sends after the emit
                bare_writer.sio.call("go", {**Client.payload, "soort": "punt", "punt": ids["item"], "rnd": rnd},
                                     timeout=30)

            notices, views, bare = [], [], []

            def mda_round(rnd, notices=notices, views=views):
                got_notices, got_views = one_round(mda_clients, save, rnd, "view")
                if rnd >= 0:
                    notices.extend(got_notices)
                    views.extend(got_views)

            def bare_round(rnd, bare=bare):
                got, _ = one_round(bare_clients, broadcast, rnd, "notice")
                if rnd >= 0:
                    bare.extend(got)

            # Rounds of MDA and of the bare broadcast alternate (and take turns going first, MDA in the first round,
            # whose rows the bare side then sends), so that the machine drifting during the run weighs on both
            # alike; the first WARMUP rounds of each are not counted.
            for rnd in range(-WARMUP, rounds):
                for side in (mda_round, bare_round) if (rnd + WARMUP) % 2 == 0 else (bare_round, mda_round):
                    side(rnd)
            rss = _rss_mb(mda_proc.pid)
            rows.append((size, bare, notices, views, rss))
            print(f"{size} clients: {failures[0]} view fetches timed out (30 s) so far", flush=True)
            print(f"{size} clients: bare p50 {_pct(bare, 50):.1f} p95 {_pct(bare, 95):.1f} ms; "
                  f"notice p50 {_pct(notices, 50):.1f} p95 {_pct(notices, 95):.1f} ms; "
                  f"view p50 {_pct(views, 50):.1f} p95 {_pct(views, 95):.1f} ms; server RSS {rss:.0f} MB",
                  flush=True)
        report = [f"## Live fan-out{' (quick run)' if quick else ''}", "",
                  f"`python -m bench.live{' --quick' if quick else ''}`: {rounds} changes per size (after "
                  f"{WARMUP} not counted), MDA and bare alternated; SQLite, threading mode, werkzeug.", "",
                  f"Server RSS at start: {base_rss:.0f} MB", "",
                  "| clients | bare broadcast p50 / p95 | MDA first message p50 / p95 | "
                  "MDA own view p50 / p95 (p95 ratio) | server RSS |",
                  "|---|---|---|---|---|"]
        for size, bare, notices, views, rss in rows:
            ratio = _pct(views, 95) / max(_pct(bare, 95), 0.001)
            report.append(f"| {size} | {_pct(bare, 50):.1f} / {_pct(bare, 95):.1f} ms | {_pct(notices, 50):.1f} / "
                          f"{_pct(notices, 95):.1f} ms | {statistics.median(views):.1f} / "
                          f"{_pct(views, 95):.1f} ms ({ratio:.2f}×) | {rss:.0f} MB |")
        saved = doc.save("live", "\n".join(report))
        print("\n" + "\n".join(report))
        print(f"Written to {saved.relative_to(ROOT)}.")
        for c in [*mda_clients, *bare_clients, writer, bare_writer]:
            c.fetch = None
        # No client.disconnect(): websocket-client's close can wait forever for a close frame that the
        # client's own read loop took (two benches hung there). The servers stop below; the clients' threads
        # are daemons.
    finally:
        mda_proc.terminate()
        bare_proc.terminate()
        mda_proc.wait(10)
        bare_proc.wait(10)


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.live [--quick]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 and 50 clients, 10 changes each")
    args = parser.parse_args(argv)
    if args.quick:
        run([20, 50], 10, quick=True)
    else:
        run()


if __name__ == "__main__":
    main()
