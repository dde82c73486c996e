"""``python -m bench.profile [page] [role] [cases]``: where a page's time goes, with pyinstrument.

Seeds *cases* (default 10,000) cases in a temporary SQLite database, logs in as *role*
(professional, coordinator or team_lead; default professional) through the real login form,
requests the page (default: the case page; ``{case}`` and ``{meeting}`` are that role's) 50
times in-process and prints pyinstrument's call tree. Used to find what to remove (see
docs/benchmarks.md), e.g. ``python -m bench.profile '/overleggen/{meeting}' team_lead 100000``.

``--time`` prints instead the in-process figures without the profiler: the median milliseconds per request
over 5 rounds of 50 requests (wall clock, and this process's CPU time) and the statements one request runs
(``--sql``: and prints them). ``--db URL`` seeds an empty database at *URL* (e.g. a fresh PostgreSQL database,
vacuumed and analysed after seeding) instead of the temporary SQLite file.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import time

TMP = tempfile.mkdtemp(prefix="mda-profile-")
os.environ["MDA_INSTANCE_PATH"] = TMP
os.environ.setdefault("MDA_SECRET_KEY", "bench-secret-key-bench-secret-key-0123456789")

from pyinstrument import Profiler  # noqa: E402

from bench.seed import PASSWORD, seed  # noqa: E402
from mda import create_app, db  # noqa: E402
from mda.cli import run_migrations  # noqa: E402


def _timing(app, client, url: str) -> None:
    """Median ms per request (5 rounds of 50) and the statements of one request, without the profiler."""
    from sqlalchemy import event

    seen: list[str] = []

    def before(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
            seen.append(statement)

    engine = app.extensions["mda_engine"]
    event.listen(engine, "before_cursor_execute", before)
    client.get(url)
    event.remove(engine, "before_cursor_execute", before)
    rounds, cpu = [], []
    for _ in range(5):
        start, start_cpu = time.perf_counter(), time.process_time()
        for _ in range(50):
            client.get(url)
        rounds.append((time.perf_counter() - start) / 50 * 1000)
        cpu.append((time.process_time() - start_cpu) / 50 * 1000)
    if "--sql" in sys.argv:
        print("\n".join(" ".join(sql.split())[:300] for sql in seen))
    print(f"{url}: {statistics.median(rounds):.1f} ms per request (rounds {min(rounds):.1f}-{max(rounds):.1f}), "
          f"{statistics.median(cpu):.1f} ms of this process's CPU, {len(seen)} statements")


def main() -> None:
    args = sys.argv[1:]
    timing = "--time" in args
    url_db = args[args.index("--db") + 1] if "--db" in args else f"sqlite:///{TMP}/profile.sqlite"
    args = [a for k, a in enumerate(args) if a not in ("--time", "--sql", "--db") and (k == 0 or args[k - 1] != "--db")]
    page = args[0] if len(args) > 0 else "/casussen/{case}"
    role = args[1] if len(args) > 1 else "professional"
    n_cases = int(args[2]) if len(args) > 2 else 10_000
    app = create_app({"DATABASE_URL": url_db, "INSECURE_DEMO_SKIP_2FA": True, "RATELIMIT_ENABLED": False})
    with app.app_context():
        run_migrations(app)
        with db.unit_of_work() as s:
            info = seed(s, n_cases)
        if url_db.startswith("postgresql"):  # as the bench does: a database in use is vacuumed and analysed
            from sqlalchemy import text

            with app.extensions["mda_engine"].connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM (ANALYZE)"))
    client = app.test_client()
    form = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    client.post("/login", data={"email": getattr(info, role), "password": PASSWORD, "csrf_token": token})
    url = page.format(case=info.case_of[role], meeting=info.meeting_of[role])
    assert client.get(url).status_code == 200
    if timing:
        _timing(app, client, url)
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(50):
        client.get(url)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
