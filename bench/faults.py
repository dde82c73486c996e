"""``python -m bench.faults`` (``make soak``): fault runs through real HTTP on PostgreSQL and Redis.

Four runs, each bounded in time, each against gunicorn (gthread) processes as in the README's deployment,
with a fresh PostgreSQL database and a Redis of its own (started here on a free port, so that stopping
it disturbs nothing else on the machine):

1. **process killed**: two server processes share PostgreSQL and Redis; writers alternate between them;
   one process is killed (SIGKILL) during the run. Requests to the other keep working.
2. **database down**: the database refuses connections for a few seconds and its sessions are cut
   (``ALTER DATABASE … ALLOW_CONNECTIONS false`` + ``pg_terminate_backend``; ``--pg-restart`` restarts
   the whole cluster instead). Requests get a 503 in Dutch meanwhile; the app recovers without a restart.
3. **Redis down**: the Redis server is stopped during use; pages and logins keep working (rate limits
   fall back to per-process memory, live events to the process itself).
4. **20 users**: 20 concurrent users on a mix of pages and changes; 0 errors, the audit chain verifies,
   and the number of new audit rows equals the number of audited actions (calibrated per request kind).

Every change is an action added through the JSON API with a unique description; afterwards the database
must hold every acknowledged (201) change exactly once. Writes left unanswered by a killed process are
counted apart: the client cannot know whether they were stored. Results go to ``docs/benchmarks.md``
(section "Faults"), and the process exits 1 when any run lost, duplicated or failed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from urllib3.util.retry import Retry

ROOT = Path(__file__).resolve().parent.parent
TMP = Path(tempfile.mkdtemp(prefix="mda-faults-"))
os.environ["MDA_INSTANCE_PATH"] = str(TMP / "instance")
os.environ.setdefault("MDA_SECRET_KEY", "faults-secret-key-faults-secret-key-0123456789")
os.environ.setdefault("MDA_TOTP_KEYS", "U74B5_0u1xuTUwu36EhbMAxgWZNq044f-_yBK2Goatw=")

from bench import doc  # noqa: E402
from bench.seed import PASSWORD, seed  # noqa: E402
from mda import create_app, db  # noqa: E402
from mda.cli import run_migrations  # noqa: E402

ADMIN_URL = os.environ.get("MDA_FAULTS_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, seconds: float, what: str) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not happen within {seconds:.0f} s")


class Redis:
    """A redis-server of this run's own."""

    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(self._up, 15, "redis start")

    def _up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


class Database:
    """A fresh, migrated, seeded PostgreSQL database for one run."""

    def __init__(self, name: str):
        self.name = name
        self.admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
        self.url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        self.engine = create_engine(self.url)
        app = create_app({"DATABASE_URL": self.url})
        with app.app_context():
            run_migrations(app)
            with db.unit_of_work() as s:
                info = seed(s, 200)
            from sqlmodel import select

            from mda.auth.models import User
            from mda.auth.services import create_api_token

            with db.unit_of_work() as s:
                user = s.exec(select(User).where(User.email == info.coordinator)).one()
                self.token = create_api_token(s, user, "foutproef")
                self.org_id = user.organisation_id
        app.extensions["mda_engine"].dispose()
        self.info = info
        self.case_id = info.case_of["coordinator"]

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def stored(self, marker: str) -> Counter:
        """How many times each change of this run (its description) is in the database."""
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT description FROM plan_action WHERE description LIKE :m"),
                                {"m": marker + "%"}).scalars().all()
        return Counter(rows)

    def refuse_connections(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f"ALTER DATABASE {self.name} ALLOW_CONNECTIONS false"))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": self.name})

    def allow_connections(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f"ALTER DATABASE {self.name} ALLOW_CONNECTIONS true"))

    def drop(self) -> None:
        self.engine.dispose()
        with self.admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"))
        self.admin.dispose()


class Server:
    """One gunicorn process (gthread) on a free port."""

    def __init__(self, database: Database, redis: Redis | None, *, rate_limits: bool = False, threads: int = 8):
        self.port = _free_port()
        env = {**os.environ, "MDA_DATABASE_URL": database.url, "MDA_INSECURE_DEMO_SKIP_2FA": "1",
               "MDA_RATELIMIT_ENABLED": "1" if rate_limits else "0", "MDA_BASE_URL": f"http://127.0.0.1:{self.port}",
               "MDA_SCHEDULER_MINUTES": "0", "PYTHONPATH": str(ROOT)}
        env.pop("MDA_REDIS_URL", None)
        if redis:
            env["MDA_REDIS_URL"] = redis.url
        self.log_path = TMP / f"gunicorn-{self.port}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", str(threads), "-w", "1",
             "-b", f"127.0.0.1:{self.port}", "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.host = f"http://127.0.0.1:{self.port}"
        _wait(self._healthy, 60, "gunicorn start")

    def _healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"gunicorn stopped; see {self.log_path}")
        try:
            return requests.get(self.host + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        self.log.close()

    def tracebacks(self) -> int:
        self.log.flush()
        log = self.log_path.read_text(errors="replace")
        if "Traceback" in log:
            print("first traceback in the server log:", log[log.find("Traceback"):][:3000], flush=True)
        return log.count("Traceback")


def _reason(exc: BaseException) -> str:
    """The innermost cause of a failed request (urllib3 wraps it in MaxRetryError), short enough for the report."""
    for _ in range(8):
        inner = getattr(exc, "reason", None) or exc.__context__
        if not isinstance(inner, BaseException) or inner is exc:
            break
        exc = inner
    return f"{type(exc).__name__}: {str(exc)[:120]}"


def login(host: str, email: str) -> requests.Session:
    """A logged-in session that, like a browser, retries a GET once when a kept-alive connection was closed.

    gunicorn closes an idle kept-alive connection after two seconds; a request sent on it at that moment is
    reset. urllib3 counts that reset as a read error, so ``read=1`` is what lets the GET be retried.
    """
    s = requests.Session()
    s.mount("http://", requests.adapters.HTTPAdapter(max_retries=Retry(total=1, connect=1, read=1, status=0,
                                                                       allowed_methods=["GET"])))
    page = s.get(host + "/login", timeout=10)
    match = _CSRF.search(page.text)
    resp = s.post(host + "/login", data={"email": email, "password": PASSWORD,
                                         "csrf_token": match.group(1) if match else ""}, timeout=30)
    if "/login" in resp.url or resp.status_code != 200:
        raise RuntimeError(f"login failed for {email}: {resp.status_code} {resp.url}")
    return s


class Tally:
    """What the clients saw, per status, thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.status: Counter = Counter()
        self.acked: list[str] = []
        self.unanswered: list[str] = []
        self.dutch_503 = 0

    def saw(self, key) -> None:
        with self.lock:
            self.status[key] += 1


def write(host: str, db_: Database, marker: str, tally: Tally, timeout: float = 10) -> None:
    """Add one action through the API; record whether it was acknowledged."""
    description = f"{marker}{uuid.uuid4().hex[:12]}"
    body = {"description": description, "deadline": (date.today() + timedelta(days=30)).isoformat(),
            "owner_organisation_id": db_.org_id}
    try:
        resp = requests.post(f"{host}/api/v1/cases/{db_.case_id}/plan/actions", json=body, timeout=timeout,
                             headers={"Authorization": f"Bearer {db_.token}"})
    except requests.RequestException:
        with tally.lock:
            tally.unanswered.append(description)
            tally.status["no answer"] += 1
        return
    tally.saw(resp.status_code)
    if resp.status_code == 201:
        with tally.lock:
            tally.acked.append(description)
    elif resp.status_code == 503 and "niet beschikbaar" in resp.text.lower():
        with tally.lock:
            tally.dutch_503 += 1


def writers(hosts_of, db_: Database, marker: str, tally: Tally, n: int, seconds: float) -> list[threading.Thread]:
    stop_at = time.time() + seconds

    def loop(k: int):
        i = 0
        while time.time() < stop_at:
            hosts = hosts_of()
            write(hosts[(k + i) % len(hosts)], db_, marker, tally)
            i += 1

    threads = [threading.Thread(target=loop, args=(k,), daemon=True) for k in range(n)]
    for t in threads:
        t.start()
    return threads


def check(db_: Database, marker: str, tally: Tally) -> dict:
    stored = db_.stored(marker)
    acked = Counter(tally.acked)
    lost = [d for d in acked if stored[d] == 0]
    duplicated = [d for d, c in stored.items() if c > 1]
    unacked_stored = sum(1 for d in tally.unanswered if stored[d])
    return {"acked": len(acked), "stored": sum(stored.values()), "lost": len(lost), "duplicated": len(duplicated),
            "unanswered": len(tally.unanswered), "unanswered_stored": unacked_stored,
            "statuses": dict(sorted((str(k), v) for k, v in tally.status.items()))}


# ----------------------------------------------------------------------------- the runs

def run_kill(seconds: float) -> dict:
    db_, redis = Database(f"mda_faults_kill_{os.getpid()}"), Redis()
    a, b = Server(db_, redis), Server(db_, redis)
    alive = [a.host, b.host]
    tally, marker = Tally(), "fout-kill-"
    reader = login(b.host, db_.info.professional)
    threads = writers(lambda: list(alive), db_, marker, tally, 4, seconds)
    time.sleep(seconds / 3)
    a.kill()
    killed_at = time.time()
    alive.remove(a.host)
    pages_after = Counter()
    while any(t.is_alive() for t in threads):
        pages_after[reader.get(f"{b.host}/casussen/{db_.info.case_of['professional']}", timeout=10).status_code] += 1
        time.sleep(0.2)
    for t in threads:
        t.join()
    result = check(db_, marker, tally)
    result |= {"pages_on_survivor_after_kill": dict(pages_after), "seconds_after_kill": round(time.time() - killed_at),
               "tracebacks": b.tracebacks()}
    b.stop()
    a.log.close()
    redis.stop()
    db_.drop()
    result["ok"] = result["lost"] == result["duplicated"] == 0 and set(pages_after) == {200}
    return result


def run_database(seconds: float, down_for: float, pg_restart: bool) -> dict:
    db_, redis = Database(f"mda_faults_db_{os.getpid()}"), Redis()
    server = Server(db_, redis)
    tally, marker = Tally(), "fout-db-"
    threads = writers(lambda: [server.host], db_, marker, tally, 3, seconds)
    time.sleep(seconds / 4)
    if pg_restart:
        cluster = sorted(os.listdir("/etc/postgresql"))[0]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "stop"], check=True)
        time.sleep(down_for)
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "start"], check=True)
    else:
        db_.refuse_connections()
        time.sleep(down_for)
        db_.allow_connections()
    back_at = time.time()
    for t in threads:
        t.join()
    before_back = len(tally.acked)
    # recovered without a restart: a page and a change after the outage
    after = Tally()
    write(server.host, db_, marker, after)
    tally.acked += after.acked
    result = check(db_, marker, tally)
    result |= {"dutch_503": tally.dutch_503, "recovered": bool(after.acked), "outage": "cluster restarted" if
               pg_restart else "connections refused", "seconds_down": down_for,
               "seconds_after_outage": round(time.time() - back_at), "acked_before_check": before_back,
               "tracebacks": server.tracebacks()}
    server.stop()
    redis.stop()
    db_.drop()
    result["ok"] = (result["lost"] == result["duplicated"] == 0 and result["recovered"]
                    and not [k for k in result["statuses"] if k not in ("201", "503")])
    return result


def run_redis(seconds: float) -> dict:
    db_, redis = Database(f"mda_faults_redis_{os.getpid()}"), Redis()
    server = Server(db_, redis, rate_limits=True)
    tally, marker = Tally(), "fout-redis-"
    threads = writers(lambda: [server.host], db_, marker, tally, 2, seconds)
    time.sleep(seconds / 3)
    redis.stop()
    pages, logins = Counter(), Counter()
    stop_at = time.time() + seconds / 3
    sessions = []
    for _ in range(5):  # a few logins (more from one address would meet the login limit, as they should)
        try:
            sessions.append(login(server.host, db_.info.professional))
            logins["ok"] += 1
        except Exception as exc:  # noqa: BLE001 - counted
            logins[type(exc).__name__] += 1
    first = True
    while sessions and (first or time.time() < stop_at):  # at least one round, also in a short run
        first = False
        for s in sessions:
            pages[s.get(f"{server.host}/casussen/{db_.info.case_of['professional']}", timeout=10).status_code] += 1
    for t in threads:
        t.join()
    result = check(db_, marker, tally)
    result |= {"logins_while_down": dict(logins), "pages_while_down": dict(pages), "tracebacks": server.tracebacks()}
    server.stop()
    db_.drop()
    result["ok"] = (result["lost"] == result["duplicated"] == 0 and set(pages) == {200} and set(logins) == {"ok"}
                    and set(result["statuses"]) == {"201"})
    return result


def run_mix(seconds: float, users: int = 20) -> dict:
    db_, redis = Database(f"mda_faults_mix_{os.getpid()}"), Redis()
    server = Server(db_, redis, threads=16)
    info = db_.info
    pages = {"casuspagina": f"/casussen/{info.case_of['professional']}", "casuslijst": "/casussen/",
             "mijn overleggen": "/overleggen/", "overlegpagina": f"/overleggen/{info.meeting_of['professional']}"}
    sessions = [login(server.host, info.professional) for _ in range(users)]

    def audit_rows() -> int:
        return db_.scalar("SELECT count(*) FROM audit_event")

    # calibration: audit rows per request kind, each alone
    per_kind = {}
    for kind, path in pages.items():
        before = audit_rows()
        assert sessions[0].get(server.host + path, timeout=30).status_code == 200, kind
        per_kind[kind] = audit_rows() - before
    calib, before = Tally(), audit_rows()
    write(server.host, db_, "fout-ijk-", calib)
    per_kind["actie toevoegen"] = audit_rows() - before

    tally, marker = Tally(), "fout-mix-"
    done: Counter = Counter()
    errors: Counter = Counter()
    lock = threading.Lock()
    stop_at = time.time() + seconds
    start_rows = audit_rows()

    def user(k: int):
        s, i = sessions[k], 0
        kinds = list(pages)
        while time.time() < stop_at:
            if i % 5 == 4:
                n_before = len(tally.acked)
                write(server.host, db_, marker, tally, timeout=30)
                with lock:
                    if len(tally.acked) > n_before:
                        done["actie toevoegen"] += 1
            else:
                kind = kinds[(k + i) % len(kinds)]
                try:
                    status = s.get(server.host + pages[kind], timeout=30).status_code
                except requests.RequestException as exc:
                    status = f"{type(exc).__name__} ({_reason(exc)})"
                with lock:
                    if status == 200:
                        done[kind] += 1
                    else:
                        errors[f"{kind}: {status}"] += 1
            i += 1

    threads = [threading.Thread(target=user, args=(k,)) for k in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    new_rows = audit_rows() - start_rows
    expected = sum(n * per_kind[k] for k, n in done.items())
    verify = subprocess.run([sys.executable, "-m", "flask", "--app", "mda", "audit-verify"], cwd=ROOT,
                            capture_output=True, text=True, env={**os.environ, "MDA_DATABASE_URL": db_.url,
                                                                 "PYTHONPATH": str(ROOT)})
    result = check(db_, marker, tally)
    result |= {"users": users, "requests": dict(done), "errors": dict(errors), "audit_rows_new": new_rows,
               "audit_rows_expected": expected, "audit_rows_per_request": per_kind,
               "audit_verify": (verify.stdout + verify.stderr).strip(), "tracebacks": server.tracebacks()}
    server.stop()
    redis.stop()
    db_.drop()
    result["ok"] = (result["lost"] == result["duplicated"] == 0 and not errors and new_rows == expected
                    and verify.returncode == 0 and set(result["statuses"]) <= {"201"})
    return result


# ----------------------------------------------------------------------------- report

def render(results: dict, seconds: float) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()
    lines = ["## Faults (`make soak`: `python -m bench.faults`)", "",
             f"Run {when}, {os.cpu_count()} cores, load average at the end {load[0]:.1f}; PostgreSQL "
             f"(fresh database per run, 200 seeded cases), a Redis of the run's own, gunicorn gthread processes; "
             f"each run {seconds:.0f} s. Changes are plan actions added through the JSON API, each with a unique "
             "description; *lost* = acknowledged (201) but not in the database, *duplicated* = in the database "
             "more than once.", "",
             "| run | acknowledged | lost | duplicated | unanswered (stored) | what the clients saw | result |",
             "|---|---|---|---|---|---|---|"]
    titles = {"kill": "one of two processes killed", "database": "database down", "redis": "Redis down",
              "mix": "20 users, pages and changes"}
    for key, r in results.items():
        seen = ", ".join(f"{k}: {v}" for k, v in r["statuses"].items())
        lines.append(f"| {titles[key]} | {r['acked']} | {r['lost']} | {r['duplicated']} | "
                     f"{r['unanswered']} ({r['unanswered_stored']}) | {seen} | {'ok' if r['ok'] else 'FAILED'} |")
    lines.append("")
    if "kill" in results:
        r = results["kill"]
        lines.append(f"- **Process killed**: after the kill, the survivor answered the case page "
                     f"{r['pages_on_survivor_after_kill']} over {r['seconds_after_kill']} s; writes sent to the "
                     "killed process got no answer (counted as unanswered; the client cannot know whether they "
                     "were stored, which is what the `unanswered (stored)` column shows).")
    if "database" in results:
        r = results["database"]
        lines.append(f"- **Database down** ({r['outage']}, {r['seconds_down']} s): {r['dutch_503']} requests got "
                     f"the Dutch 503 page while it was down; recovered without a restart: "
                     f"{'yes' if r['recovered'] else 'NO'}; tracebacks in the server log: {r['tracebacks']}.")
    if "redis" in results:
        r = results["redis"]
        lines.append(f"- **Redis down**: logins while it was down {r['logins_while_down']}, case pages "
                     f"{r['pages_while_down']}; rate limits fall back to per-process memory "
                     "(Flask-Limiter's in-memory fallback), live events stay within one process.")
    if "mix" in results:
        r = results["mix"]
        lines.append(f"- **20 users**: requests {r['requests']}, errors {r['errors'] or 0}; audit rows "
                     f"{r['audit_rows_new']} new, {r['audit_rows_expected']} expected from the calibration "
                     f"{r['audit_rows_per_request']}; `flask audit-verify`: {r['audit_verify']}")
    lines += ["", "Reproduce: `make soak` (PostgreSQL on 127.0.0.1:5432 as user postgres, `redis-server` on the "
              "PATH; `MDA_FAULTS_ADMIN_URL` for another server, `python -m bench.faults --pg-restart` to stop and "
              "start the whole PostgreSQL cluster instead of refusing connections to the run's database).", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each run")
    parser.add_argument("--only", choices=["kill", "database", "redis", "mix"], action="append")
    parser.add_argument("--pg-restart", action="store_true", help="stop and start the PostgreSQL cluster")
    parser.add_argument("--no-write", action="store_true", help="print, do not write docs/benchmarks.md")
    args = parser.parse_args()
    if not shutil.which("redis-server"):
        sys.exit("redis-server ontbreekt (apt-get install redis-server)")
    runs = {"kill": lambda: run_kill(args.seconds),
            "database": lambda: run_database(args.seconds, 5.0, args.pg_restart),
            "redis": lambda: run_redis(args.seconds),
            "mix": lambda: run_mix(args.seconds)}
    results = {}
    for key in args.only or list(runs):
        print(f"-- {key}", flush=True)
        results[key] = runs[key]()
        print(results[key], flush=True)
    report = render(results, args.seconds)
    print(report)
    if not args.no_write:
        doc.write("faults", report)
    shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(0 if all(r["ok"] for r in results.values()) else 1)


if __name__ == "__main__":
    main()
