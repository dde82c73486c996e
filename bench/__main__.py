"""``python -m bench`` (``make bench``): MDA++ measured through HTTP, against the bare stack.

Seeds two databases (1,000 and 100,000 cases; ``--quick``: 1,000 and 10,000) with fast
set-based inserts, serves each with gunicorn configured by ``deploy/gunicorn.conf.py`` (the
README's deployment), logs in as a professional, a coordinator and a team lead of a large
organisation, and loads the pages with locust (``bench/load.py``), round by round, so that every
ratio is measured in the same run. Also: the case page against a bare Flask + SQLAlchemy page
padded to the same size (``bench/bare.py``), and (on PostgreSQL) audited page views per second
with 1, 2 and 4 gunicorn processes. Writes ``build/bench/http-<database>.md``; with
``--write-docs`` (a full run only) also its section of ``docs/benchmarks.md``.

SQLite by default (in a temporary folder, whatever ``MDA_INSTANCE_PATH`` says);
``MDA_BENCH_DATABASE_URL=postgresql://…`` for PostgreSQL (two schemas in that database,
dropped and made again on every run).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import runpy
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TMP = Path(tempfile.mkdtemp(prefix="mda-bench-"))
# The benchmark's own instance folder, not the Makefile's: a fresh clone has no instance/ yet.
os.environ["MDA_INSTANCE_PATH"] = str(TMP / "instance")
os.environ.setdefault("MDA_SECRET_KEY", "bench-secret-key-bench-secret-key-0123456789")

from sqlalchemy import create_engine, text  # noqa: E402

from bench import doc  # noqa: E402
from bench.seed import PASSWORD, Seeded, seed  # noqa: E402
from mda import create_app, db  # noqa: E402
from mda.cli import run_migrations  # noqa: E402

GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
FULL = dict(seconds=5.0, rounds=3, users=4)  # per page: rounds alternated, seconds per round, concurrent users
QUICK = dict(seconds=1.0, rounds=2, users=2)
ROLES = ("professional", "coordinator", "team_lead")
ROLE_NAMES = {"professional": "professional", "coordinator": "procesregisseur",
              "team_lead": "teamleider (grote organisatie)"}
PAGES = {  # name -> (path template, shown in the table)
    "case_list": ("/casussen/", "casuslijst (eerste pagina)"),
    "case_page": ("/casussen/{case}", "casuspagina"),
    "case_api": ("/api/v1/cases/{case}", "casus-API"),
    "my_meetings": ("/overleggen/", "mijn overleggen"),
    "meeting_page": ("/overleggen/{meeting}", "overlegpagina"),
    "feed": ("/overleggen/feed/{token}.ics", "persoonlijke agenda-feed"),
}


def _python() -> str:
    return sys.executable


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_url(base: str, schema: str) -> str:
    url = "postgresql+psycopg://" + base.split("://", 1)[1] if base.startswith("postgresql://") else base
    return url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"


def database(kind: str, name: str) -> str:
    """A fresh, migrated database for *name* ('small', 'large', …)."""
    base = os.environ.get("MDA_BENCH_DATABASE_URL")
    if not base:
        return f"sqlite:///{TMP / (name + '.sqlite')}"
    url = _pg_url(base, f"bench_{name}")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS bench_{name} CASCADE; CREATE SCHEMA bench_{name}"))
    engine.dispose()
    return url


def prepare(name: str, n_cases: int) -> tuple[str, Seeded, dict[str, str], float]:
    """Migrate, seed and make feed tokens; returns (url, who is measured, feed tokens, seconds)."""
    from mda.auth.models import User
    from mda.meetings import feeds

    url = database("pg" if os.environ.get("MDA_BENCH_DATABASE_URL") else "sqlite", name)
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        run_migrations(app)
        t0 = time.perf_counter()
        with db.unit_of_work() as s:
            info = seed(s, n_cases)
        seconds = time.perf_counter() - t0
        tokens = {}
        with db.unit_of_work() as s:
            for role in ROLES:
                user = s.exec(__import__("sqlmodel").select(User).where(User.email == getattr(info, role))).one()
                tokens[role] = feeds.renew_token(s, user)
        if url.startswith("postgresql"):
            # a database in use is vacuumed and analysed; without this, autovacuum's first pass over the
            # freshly seeded tables runs during the first pages measured (the professional's case list)
            with app.extensions["mda_engine"].connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM (ANALYZE)"))
    app.extensions["mda_engine"].dispose()
    return url, info, tokens, seconds


def gunicorn_settings() -> dict:
    """The settings of ``deploy/gunicorn.conf.py`` (worker class, workers, threads …), as gunicorn reads them."""
    return {k: v for k, v in runpy.run_path(str(GUNICORN_CONF)).items() if not k.startswith("_")}


class Server:
    """gunicorn on a free port with ``deploy/gunicorn.conf.py``, the README's deployment; *workers* overrides it."""

    def __init__(self, url: str, app: str = "wsgi:app", workers: int | None = None, env: dict | None = None):
        self.port = _free_port()
        env = {**os.environ, "MDA_DATABASE_URL": url, "MDA_INSECURE_DEMO_SKIP_2FA": "1",
               "MDA_RATELIMIT_ENABLED": "0", "MDA_BASE_URL": f"http://127.0.0.1:{self.port}",
               "PYTHONPATH": str(ROOT), **(env or {})}
        env.pop("MDA_REDIS_URL", None)
        env.pop("GUNICORN_CMD_ARGS", None)  # the config file alone decides, as in the report
        self.log = open(TMP / f"gunicorn-{self.port}.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [_python(), "-m", "gunicorn", "-c", str(GUNICORN_CONF), *(["-w", str(workers)] if workers else []),
             "-b", f"127.0.0.1:{self.port}", "--log-level", "warning", app],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.host = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.host + ("/healthz" if app == "wsgi:app" else "/casus/1"), timeout=2)
                return
            except Exception:  # noqa: BLE001 - not up yet
                if self.proc.poll() is not None:
                    raise RuntimeError(f"gunicorn stopped; see {self.log.name}") from None
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def load(runs: list[dict], rounds: int) -> dict:
    """Run the plan in bench/load.py (locust) and return its samples and rates."""
    plan = json.dumps({"password": PASSWORD, "rounds": rounds, "runs": runs})
    done = subprocess.run([_python(), "-m", "bench.load"], input=plan, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout)


def summary(values: list[float]) -> tuple[float, float]:
    """Median and 95th percentile."""
    if not values:
        return float("nan"), float("nan")
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _path(page: str, info: Seeded, tokens: dict, role: str) -> str:
    return PAGES[page][0].format(case=info.case_of[role], meeting=info.meeting_of[role], token=tokens[role])


def _round_ratios(result: dict, small_key: str, large_key: str) -> list[float]:
    """Per round: median of the large database's requests over the small one's."""
    return [statistics.median(large) / statistics.median(small)
            for small, large in zip(result["by_round"][small_key], result["by_round"][large_key], strict=True)
            if small and large]


def scaling(small, large, mode: dict) -> tuple[list[dict], dict]:
    """Every page × role on the small and the large database, alternated round by round.

    Per row: p50 / p95 over every request of each size, and the ratio large/small of the p50 of each
    round, given as the median of the rounds and their range. Also returns the plan's result.
    """
    runs = []
    for role in ROLES:
        for page in PAGES:
            for label, (server, info, tokens) in (("small", small), ("large", large)):
                runs.append({"key": f"{label}:{role}:{page}", "host": server.host,
                             "email": None if page == "feed" else getattr(info, role),
                             "path": _path(page, info, tokens, role), "users": mode["users"],
                             "seconds": mode["seconds"]})
    result = load(runs, mode["rounds"])
    rows = []
    for role in ROLES:
        for page in PAGES:
            small_key, large_key = f"small:{role}:{page}", f"large:{role}:{page}"
            ratios = _round_ratios(result, small_key, large_key)
            fails = sum(result["failures"].get(key, 0) for key in (small_key, large_key))
            rows.append(dict(role=role, page=page, small=summary(result["samples"][small_key]),
                             large=summary(result["samples"][large_key]), failures=fails,
                             ratio=statistics.median(ratios) if ratios else float("nan"),
                             ratio_range=(min(ratios), max(ratios)) if ratios else (float("nan"),) * 2))
    return rows, result


def overhead(large, url: str, mode: dict, page_bytes: int) -> dict:
    """The case page (professional) against the bare page on the same case padded to *page_bytes*, same settings."""
    server, info, _tokens = large
    bare = Server(url, app="bench.bare:app", env={"MDA_BENCH_BARE_BYTES": str(page_bytes)})
    users, seconds = mode["users"], mode["seconds"] * 2
    try:
        runs = [{"key": "mda", "host": server.host, "email": info.professional, "users": users, "seconds": seconds,
                 "path": f"/casussen/{info.case_of['professional']}"},
                {"key": "bare", "host": bare.host, "email": None, "users": users, "seconds": seconds,
                 "path": f"/casus/{info.case_of['professional']}"}]
        result = load(runs, mode["rounds"])
    finally:
        bare.stop()
    mda, base = summary(result["samples"]["mda"]), summary(result["samples"]["bare"])
    mda_rps, base_rps = statistics.median(result["rates"]["mda"]), statistics.median(result["rates"]["bare"])
    return dict(mda=mda, bare=base, mda_rps=mda_rps, bare_rps=base_rps, p50_ratio=mda[0] / base[0],
                rps_ratio=mda_rps / base_rps, users=users, seconds=seconds, rounds=mode["rounds"],
                mda_bytes=result["bytes"].get("mda", 0), bare_bytes=result["bytes"].get("bare", 0))


def audit_scaling(url: str, info: Seeded, seconds: float, rounds: int) -> dict:
    """Audited case page views per second with 1, 2 and 4 gunicorn processes (8 concurrent users)."""
    rates = {}
    for workers in (1, 2, 4):
        server = Server(url, workers=workers)
        try:
            result = load([{"key": "view", "host": server.host, "email": info.professional, "users": 8,
                            "seconds": seconds, "path": f"/casussen/{info.case_of['professional']}"}], rounds)
        finally:
            server.stop()
        rates[workers] = statistics.median(result["rates"]["view"])
    return rates


def query_plan(url: str, info: Seeded) -> str:
    """PostgreSQL's plan for the team lead's first case-list page: does it scan ``case``?"""
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        from sqlmodel import select

        from mda.auth.models import User
        from mda.cases.models import Case
        from mda.core import sharing

        s = db.session()
        lead = s.exec(select(User).where(User.email == info.team_lead)).one()
        stmt = select(Case).where(Case.id.in_(sharing.visible_case_ids(lead, limit=50)))
        compiled = stmt.compile(s.get_bind(), compile_kwargs={"literal_binds": True})
        plan = "\n".join(r[0] for r in s.execute(text(f"EXPLAIN ANALYZE {compiled}")))
        db.rollback()
    app.extensions["mda_engine"].dispose()
    return plan


def versions() -> str:
    names = ("flask", "sqlalchemy", "sqlmodel", "gunicorn", "locust", "psycopg")
    found = []
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found.append(f"{name} {metadata.version(name)}")
    return ", ".join(found)


def main(argv: list[str] | None = None) -> None:
    """Run the HTTP benchmark; report to build/bench/, and to docs/benchmarks.md with ``--write-docs``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="1,000 vs 10,000 cases, 2 rounds of 1 s with 2 users (about 4 minutes); never in docs")
    parser.add_argument("--write-docs", action="store_true",
                        help="also replace this database's section of docs/benchmarks.md (full run only)")
    args = parser.parse_args(argv)
    if args.quick and args.write_docs:
        parser.error("a quick run is not written to docs/benchmarks.md: drop --quick or --write-docs")
    small_n, large_n = (1000, 10_000) if args.quick else (1000, int(os.environ.get("MDA_BENCH_CASES", "100000")))
    mode = QUICK if args.quick else FULL
    on_pg = bool(os.environ.get("MDA_BENCH_DATABASE_URL"))
    started = time.perf_counter()
    print(f"Seeding {small_n:,} and {large_n:,} cases on {'PostgreSQL' if on_pg else 'SQLite'} …", flush=True)
    small_url, small_info, small_tokens, small_s = prepare("small", small_n)
    large_url, large_info, large_tokens, large_s = prepare("large", large_n)
    print(f"  seeded in {small_s:.1f} s and {large_s:.1f} s", flush=True)
    small_server, large_server = Server(small_url), Server(large_url)
    try:
        print("Scaling (every page × role, small and large, alternated) …", flush=True)
        rows, result = scaling((small_server, small_info, small_tokens), (large_server, large_info, large_tokens),
                               mode)
        print("Overhead against a bare Flask + SQLAlchemy page of the same size …", flush=True)
        page_bytes = int(result["bytes"]["large:professional:case_page"])
        over = overhead((large_server, large_info, large_tokens), large_url, mode, page_bytes)
    finally:
        small_server.stop()
        large_server.stop()
    audit = audit_scaling(large_url, large_info, mode["seconds"] * 2, mode["rounds"]) if on_pg else None
    plan = query_plan(large_url, large_info) if on_pg else ""
    report = render(rows, over, audit, plan, dict(small=small_n, large=large_n, **mode,
                                                  seed=(small_s, large_s), quick=args.quick, pg=on_pg,
                                                  total=time.perf_counter() - started))
    name = "postgresql" if on_pg else "sqlite"
    saved = doc.save(f"http-{name}", report)
    print(report.split("### How to reproduce")[0])
    print(f"Written to {saved.relative_to(ROOT)}.")
    if args.write_docs:
        doc.write(name, report)
        print(f"Written to {doc.TARGET.relative_to(ROOT)}.")
    shutil.rmtree(TMP, ignore_errors=True)


def _gunicorn_summary() -> str:
    settings = gunicorn_settings()
    return (f"{settings.get('worker_class', 'sync')}, {settings.get('threads', 1)} threads, "
            f"{settings.get('workers', 1)} process{'es' if settings.get('workers', 1) != 1 else ''}")


def _ms(pair) -> str:
    return f"{pair[0]:.0f} / {pair[1]:.0f}"


def render(rows, over, audit, plan, run) -> str:
    """docs/benchmarks.md."""
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()} {platform.release()}"
    db_name = "PostgreSQL" if run["pg"] else "SQLite"
    if run["pg"]:
        try:
            eng = create_engine(_pg_url(os.environ["MDA_BENCH_DATABASE_URL"], "public"))
            with eng.connect() as conn:
                db_name = "PostgreSQL " + conn.execute(text("SHOW server_version")).scalar().split()[0]
            eng.dispose()
        except Exception:  # noqa: BLE001 - the version is a nicety
            pass
    lines = [
        f"## {db_name}{' (quick run)' if run['quick'] else ''}",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}; Python {platform.python_version()}, "
        f"{versions()}; database {db_name}.{' **Quick run** (`--quick`).' if run['quick'] else ''}",
        "",
        f"Every figure is measured through HTTP against gunicorn as the README's deployment runs it "
        f"(`deploy/gunicorn.conf.py`: {_gunicorn_summary()}), logged in, with the load generated by locust; "
        f"median / p95 in milliseconds over every request of {run['rounds']} alternated rounds of "
        f"{run['seconds']:g} s per page with {run['users']} concurrent users (closed loop; every other round "
        f"runs the pages in reverse order). The ratio of p50 is the median of the rounds' ratios, with their "
        f"range. Ratios compare figures of the same run. Seeding took {run['seed'][0]:.0f} s and "
        f"{run['seed'][1]:.0f} s; "
        f"the whole run {run['total'] / 60:.1f} minutes.",
        "",
        "Load average at the end of the run: {:.1f} / {:.1f} / {:.1f} (1 / 5 / 15 min); on a busy machine the "
        "figures are noisy: compare ratios, not absolute times.".format(*os.getloadavg()),
        "",
        f"### Scaling: {run['small']:,} against {run['large']:,} cases (target: ratio ≤ 1.2)",
        "",
        "| page | as | small p50 / p95 (ms) | large p50 / p95 (ms) | ratio of p50 (range over rounds) "
        "| target met | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        low, high = r["ratio_range"]
        lines.append(f"| {PAGES[r['page']][1]} | {ROLE_NAMES[r['role']]} | {_ms(r['small'])} | {_ms(r['large'])} | "
                     f"{r['ratio']:.2f} ({low:.2f}–{high:.2f}) | {'ja' if r['ratio'] <= 1.2 else '**nee**'} "
                     f"| {r['failures']} |")
    lines += [
        "",
        "A professional sees about 160 cases and 16 meetings in either database (one professional per 40 cases);",
        "a coordinator about 400 cases and 40-50 meetings; the team lead (20 meetings) has an organisation in the",
        "circle of about 40 % of *all* cases, so their case list pages through 100 times more rows on the large one.",
        "",
        "### Overhead: the case page against a bare Flask + SQLAlchemy page (targets: p50 ≤ 3×, throughput ≥ 1/3)",
        "",
        f"| page | bytes | p50 / p95 (ms) | requests/s ({over['users']} users) |",
        "|---|---|---|---|",
        f"| MDA++ case page (professional, large database) | {over['mda_bytes']:,.0f} | {_ms(over['mda'])} "
        f"| {over['mda_rps']:.0f} |",
        f"| bare page: same case, persons and items, small template padded to the same size "
        f"| {over['bare_bytes']:,.0f} | {_ms(over['bare'])} | {over['bare_rps']:.0f} |",
        f"| **ratio** | | **{over['p50_ratio']:.1f}×** "
        f"({'target met' if over['p50_ratio'] <= 3 else 'target missed'}) "
        f"| **{over['rps_ratio']:.2f}** ({'target met' if over['rps_ratio'] >= 1 / 3 else 'target missed'}) |",
        "",
        f"{over['rounds']} alternated rounds of {over['seconds']:g} s, {over['users']} concurrent users on each page.",
        "",
    ]
    if audit:
        lines += [
            "### Audited page views per second by number of gunicorn processes (target: 4 ≥ 2.5 × 1)",
            "",
            "| processes | case page views/s (8 users) | against 1 process |",
            "|---|---|---|",
        ]
        for workers, rate in audit.items():
            lines.append(f"| {workers} | {rate:.0f} | {rate / audit[1]:.2f}× |")
        lines += ["", "Every view writes its audit rows in the request's own transaction (an insert, no shared "
                  "row lock); one sealer chains them after the commit (see README, audit trail). On this "
                  f"{os.cpu_count()}-core machine the processes compete for the same cores as PostgreSQL and "
                  "the load generator, so process scaling is bounded by the CPU count, not by a lock.", ""]
        lines += ["PostgreSQL's plan for the team lead's first case-list page (no sequential scan of `case`):",
                  "", "```", plan, "```", ""]
    else:
        lines += ["Audit scaling over several processes is measured on PostgreSQL only "
                  "(`MDA_BENCH_DATABASE_URL`); SQLite serialises all writers.", ""]
    lines += [
        "### Where a target is missed: what limits it, what would fix it",
        "",
        "- **Scaling**: every page runs a fixed number of queries whatever the size (asserted by `tests/perf/`), "
        "and the case list's first page is cut before the union (team lead: PostgreSQL 365 ms → 4 ms at 100,000 "
        "cases). Each source of a user's cases (coordinator, named member, team lead's organisation) is walked "
        "newest first from an index alone, and purged cases are skipped through a small partial index instead of "
        "a look-up of every case passed (2026-12-03: the professional's list on PostgreSQL was 3.5× slower at "
        "100,000 cases than at 1,000, its member source 1.0 ms in `EXPLAIN ANALYZE`; now 0.07 ms). PostgreSQL's "
        "bench databases are vacuumed after seeding, as autovacuum does in use (it is off on this machine's "
        "cluster). Where a ratio above 1.2 remains, the page's absolute difference is a few milliseconds to a few "
        "tens of milliseconds; `python -m bench.profile '<page>' <role> 100000` shows where it goes.",
        f"- **Overhead** ({over['p50_ratio']:.1f}× the bare page, throughput {over['rps_ratio']:.2f}; before the "
        f"work of 2026-12-03 {'6.5×, 42 / 59 ms, 46 requests/s' if run['pg'] else '5.5×, 33 / 53 ms, 57 requests/s'}"
        ", after its first round "
        f"{'4.4×, 29 / 38 ms, 66 requests/s' if run['pg'] else '3.3×, 17 / 25 ms, 114 requests/s'}"
        "): the bare page does no login check, no sharing decisions, no audit and no layout. Per case page "
        "MDA++ loads the session user, the case and its context (3 statements: one tagged UNION ALL of the small "
        "facts, the consents with their recipients, the decisions; was 8), the persons, items, their links, the "
        "user's break-glass and the authors' names (1 statement of plain rows; was 4 or 5 of model objects), "
        "the circle (1 statement of numbers and names), the escalation marks and the meetings panel (1 each, the "
        "panel as plain columns), "
        "writes and commits the audit rows, and renders the full layout: at most 16 statements for the page and "
        "14 for the API on SQLite (`tests/perf/`; PostgreSQL 3 more, the audit seal after the commit; 19 and 17 "
        "after the first round, 31 before it). Done on 2026-12-03, "
        "first round: the engine gets the user object instead "
        "of flask-login's proxy; the statements of the context, case view, circle, escalation marks and meetings "
        "panel are built once per process; organisation and region names are kept per process for 60 s "
        "(README); the page builds no form objects; on SQLite the audit head is locked and read in one "
        "statement and a request's audit rows go in one INSERT. Second round: the engine builds a case view "
        "from plain Core rows in small frozen records with the attributes it reads (every person and item is "
        "still decided and audited by the engine, checked against the model objects by "
        "`tests/cases/test_view_rows.py`; the page's HTML is unchanged for the three roles); the circle and the "
        "meetings panel read plain columns; the link of each "
        "person, item and consent is formatted into an address built once per page (`url_pattern`) instead of "
        "one `url_for` each; SQLite runs in write-ahead-log mode with "
        "`synchronous` left at FULL, so a commit syncs one file instead of a journal and the database (3-6 ms "
        "→ 0.2-1.3 ms on this disk) with the same durability. What remains (`python -m bench.profile` shows "
        "the split): the commit with the audit rows (on PostgreSQL it waits for the WAL flush: an audit row of "
        "a view is not given up for speed, so `synchronous_commit` stays on for it), rendering the full layout "
        "(a fifth to a quarter), and the model objects still loaded per request: the session user, the case, "
        "the consents and decisions of the context and the escalations of the marks, each costing more in "
        "SQLAlchemy than in the database. What would bring it nearer the bare page: the escalation marks and "
        "the context's consents and decisions as plain rows too, and fewer statements by folding the panels "
        "into the context's UNION ALL. Not cached, by rule: the "
        "session user (its active flag and session version decide access), circles, consents, roles and "
        "organisation types are read on every request. On this 2-core machine, shared with other work during "
        "the run, the figures move by a third from run to run: compare the ratio of one run, not times "
        "across runs.",
        "- **Audit over processes**: with two CPU cores shared by PostgreSQL, locust and the other work on this "
        "machine, one gunicorn process already uses the CPU that is there; more processes cannot add throughput. "
        "The audit trail no longer serialises writers (no row lock held across the request), so on a machine "
        "with free cores the processes scale with the cores; measure there before a regional roll-out.",
        "",
        "### How to reproduce",
        "",
        "```",
        "make bench-docs                   # SQLite, 1,000 vs 100,000 cases, full run, this section rewritten",
        "make bench                        # every bench module, reports in build/bench/ only",
        "make bench BENCH_ARGS=--quick     # the same, short runs (1,000 vs 10,000 cases), labelled quick",
        "MDA_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/mda_bench .venv/bin/python -m bench "
        "--write-docs",
        "```",
        "",
        "The run uses a temporary folder of its own (whatever `MDA_INSTANCE_PATH` says) and, on PostgreSQL, the",
        "schemas `bench_small` and `bench_large` of the given database, dropped and made again each time, so it",
        "can run twice in a row. `bench/seed.py` seeds with set-based `INSERT … SELECT`; `bench/load.py` drives",
        "locust; `bench/bare.py` is the baseline. Query counts per page are asserted by `tests/perf/`.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
