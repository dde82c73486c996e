"""The job runner: everything time-driven (action reminders now, escalation deadlines next).

A job is a function ``job(db, now) -> int`` registered with :func:`job`; it does whatever is
due at *now* and returns how much it did. Every job must be idempotent: running it twice, or
in two processes at once, does the work once. :func:`claim` gives a job that guarantee with
a unique row per unit of work (:class:`~mda.jobs.models.JobMark`).

Two ways to run the jobs, the same code both times:

- ``flask --app mda jobs`` runs every job once and exits (for cron, see the README; in a cluster a
  CronJob, ``deploy/helm/mda``);
- under ``make run`` an APScheduler background scheduler runs them every few minutes
  (:func:`start_scheduler`).

Both go through :func:`run_exclusive`, which holds the region's job lock (:mod:`mda.jobs.lock`): however
many replicas start a run, one walks the jobs at a time and the others report that one is busy.

Time comes from :func:`mda.core.clock.now`, which tests can set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session

from mda import db as database
from mda.core import clock, metrics

log = logging.getLogger(__name__)

JobFunction = Callable[[Session, datetime], int]


@dataclass(frozen=True)
class Job:
    """A registered job: a name (for logs and the CLI) and the function."""

    name: str
    run: JobFunction
    description: str


#: name -> job, in registration order. A feature's ``init_app`` (called by :func:`mda.create_app`) imports its job
#: modules, whose :func:`job` decorators fill this; the runner imports no feature.
REGISTRY: dict[str, Job] = {}


def job(name: str) -> Callable[[JobFunction], JobFunction]:
    """Register *function* as the job *name*; its docstring's first line describes it."""

    def register(function: JobFunction) -> JobFunction:
        if name in REGISTRY and REGISTRY[name].run is not function:
            raise ValueError(f"job {name!r} is already registered")
        doc = (function.__doc__ or name).strip().splitlines()[0]
        REGISTRY[name] = Job(name, function, doc)
        return function

    return register


def load_jobs() -> dict[str, Job]:
    """Every registered job (complete once the app is built: each feature registered its own)."""
    return REGISTRY


def claim(db: Session, key: str, job_name: str) -> bool:
    """Record that the unit of work *key* is done; False when it already was (here or elsewhere).

    ``INSERT ... ON CONFLICT DO NOTHING`` in the caller's transaction: on PostgreSQL a second
    process inserting the same key waits for the first one's transaction and inserts nothing
    once that commits (or inserts after all when that rolled back). No savepoint is needed,
    which matters on SQLite, where releasing a savepoint outside BEGIN commits it.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    from mda.jobs.models import JobMark

    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(JobMark).values(key=key[:200], job=job_name, created_at=clock.now()).on_conflict_do_nothing(
        index_elements=["key"]).returning(JobMark.__table__.c.id)
    return db.connection().execute(stmt).first() is not None  # a row back: this call inserted the mark


def run_due(names: list[str] | None = None) -> dict[str, int]:
    """Run every registered job (or those named) once, each in its own unit of work.

    A failing job is logged and rolled back; the others still run. Returns name -> count
    (-1 for a job that failed).
    """
    results: dict[str, int] = {}
    for name, registered in load_jobs().items():
        if names and name not in names:
            continue
        try:
            with database.unit_of_work() as session:
                results[name] = registered.run(session, clock.now())
            metrics.JOB_RUNS.labels(name, "ok").inc()
        except Exception:
            log.exception("job %s failed", name)
            metrics.JOB_RUNS.labels(name, "failed").inc()
            results[name] = -1
        finally:
            _end_session()
    return results


def run_exclusive(names: list[str] | None = None) -> dict[str, int] | None:
    """:func:`run_due` under the region's job lock; None (and nothing run) while another runner holds it."""
    from mda.jobs.lock import runner_lock

    with runner_lock(database.engine()) as got:
        if not got:
            log.info("jobs skipped: another runner holds the lock")
            metrics.JOB_RUNS_SKIPPED.inc()
            return None
        return run_due(names)


def _end_session() -> None:
    """Close the job's session so that the next job starts a fresh unit of work."""
    from flask import g

    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def start_scheduler(app, minutes: int = 5):
    """Run the jobs every *minutes* in a background thread of this process (``make run``).

    APScheduler's ``max_instances=1`` and ``coalesce`` keep one run at a time and skip runs
    missed while the machine slept; the jobs' own marks make overlapping runs in other
    processes harmless.
    """
    from apscheduler.schedulers.background import BackgroundScheduler

    def tick():
        with app.app_context():
            done = run_exclusive()
        log.info("jobs ran: %s", done)

    scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
    scheduler.add_job(tick, "interval", minutes=minutes, id="mda-jobs", max_instances=1, coalesce=True,
                      next_run_time=datetime.now(UTC))  # the real clock: APScheduler keeps real time
    scheduler.start()
    return scheduler
