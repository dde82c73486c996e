"""One job runner at a time per region, however many replicas start one.

The marks of :func:`mda.jobs.claim` already make each unit of work happen once; this lock makes the
whole run happen in one place at a time, so N replicas (or a CronJob that overlaps itself, or a
replica's scheduler beside the CronJob) do not all walk the same due work at once.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of its own,
  held for the run. The database releases it when that connection ends, so a runner killed half-way
  never leaves the region without jobs.
- SQLite (one server): ``flock`` on a file beside the database; the kernel releases it when the
  process dies.

Both are *try* locks: a second runner does not wait, it reports that another one is busy and exits.
"""

from __future__ import annotations

import contextlib
import fcntl
import zlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

#: the advisory-lock key of the job runner: fixed, derived from a name so that it is recognisable
LOCK_KEY = zlib.crc32(b"mda++ jobs")


@contextlib.contextmanager
def runner_lock(engine: Engine) -> Iterator[bool]:
    """Yield True while this process holds the region's job lock, False when another runner does."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar())
            conn.commit()  # end the implicit transaction: the lock is the session's, not a transaction's
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                    conn.commit()
        return
    with _file_lock(_lock_path(engine)) as got:
        yield got


def _lock_path(engine: Engine) -> Path:
    """The lock file beside the SQLite database (an in-memory database locks in the temp folder)."""
    database = engine.url.database
    if not database or database == ":memory:":
        import tempfile

        return Path(tempfile.gettempdir()) / "mda-jobs.lock"
    return Path(database).with_name(Path(database).name + ".jobs.lock")


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    # flock belongs to the open file, so two runners in one process exclude each other too
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
