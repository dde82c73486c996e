"""The sealer: chains committed audit rows in batches, after the fact, in a thread of each process.

A request on PostgreSQL commits once: its audit rows go in *pending* with the work (``synchronous_commit``
on, so a view is on record when the page is shown). After that commit the session tells this process's
:class:`Sealer`, which waits ``AUDIT_SEAL_DELAY`` seconds (gathering whatever else commits meanwhile) and
then seals every pending row in one short transaction under the chain-head lock. Several processes (gunicorn
workers, replicas, the job runner) each have a sealer; the head lock lets one work at a time, and one that
finds the head taken leaves the rows to the sealer holding it, which looks again before it stops.

The lag is bounded: a row is sealed ``AUDIT_SEAL_DELAY`` plus one seal after its commit while its process
lives. A process killed between its commit and the seal loses nothing: its rows stay pending, and every
sealer sweeps for pending rows when it starts and every ``AUDIT_SEAL_SWEEP`` seconds (one indexed read; a
transaction only when something is pending); ``flask audit-verify`` seals what is left as well. The lag is
exported to Prometheus: ``mda_audit_seal_lag_seconds`` (histogram, the oldest row of each batch, by the
sealer) and ``mda_audit_oldest_pending_seconds`` (gauge read at scrape time, ``mda.core.metrics``): alert when
the gauge stays above the sweep interval.

SQLite keeps sealing inside the committing transaction (``mda.core.audit.records``): it admits one writer at
a time, so sealing there costs neither a second commit nor a wait, and a background sealer would only add a
second writer to wait for.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import threading
import time
import weakref
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from mda.core import clock
from mda.core.audit.chain import Sealed, seal_pending
from mda.core.audit.records import SEAL_KEY

log = logging.getLogger(__name__)

#: how the sealers of this process run: "background" (a thread per engine) or "manual" (nothing seals until
#: :func:`seal_pending`, ``audit-verify`` or a test asks: the test suite's setting, see tests/conftest.py)
SETTINGS = {"mode": "background", "delay": 0.25, "sweep": 5.0}


def configure(app) -> None:
    """Take ``AUDIT_SEALER``, ``AUDIT_SEAL_DELAY`` and ``AUDIT_SEAL_SWEEP`` from *app*'s config."""
    SETTINGS["mode"] = app.config.get("AUDIT_SEALER", SETTINGS["mode"])
    SETTINGS["delay"] = float(app.config.get("AUDIT_SEAL_DELAY", SETTINGS["delay"]))
    SETTINGS["sweep"] = float(app.config.get("AUDIT_SEAL_SWEEP", SETTINGS["sweep"]))


class Sealer:
    """Seals the pending audit rows of one engine's database, in a daemon thread, batch by batch."""

    def __init__(self, engine: Engine, *, delay: float, sweep: float,
                 monotonic: Callable[[], float] = time.monotonic):
        self._engine = weakref.ref(engine)
        self.delay, self.sweep = delay, sweep
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._due: float | None = None  # when the rows told of since the last seal must be sealed
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._stopping = False
        self.batches = 0  # seals that sealed rows, for tests and the log

    # -- what a commit calls
    def notify(self) -> None:
        """A commit stored pending rows: have them sealed within :attr:`delay` (with whatever else comes)."""
        self.start()
        with self._lock:
            if self._due is None:
                self._due = self._monotonic() + self.delay
        self._wake.set()

    # -- the work
    def due(self) -> float:
        """Seconds until the next seal is due (0: now; inf: nothing told of)."""
        with self._lock:
            due = self._due
        return math.inf if due is None else max(0.0, due - self._monotonic())

    def seal_now(self, *, sweep: bool = False) -> Sealed:
        """Seal what is pending now (the rows told of, and any other); *sweep*: only if a read finds some."""
        with self._lock:
            self._due = None
        engine = self._engine()
        if engine is None:
            return Sealed()
        sealed = seal_pending(engine, look_first=sweep)
        if sealed.rows:
            self.batches += 1
            _observe(sealed)
        return sealed

    def _run(self) -> None:
        next_sweep = self._monotonic()  # at start: rows a killed process left pending
        while not self._stopping and self._engine() is not None:
            wait = min(self.due(), max(0.0, next_sweep - self._monotonic()))
            if wait > 0:
                self._wake.wait(wait)
                self._wake.clear()
                continue
            sweep = self.due() > 0
            try:
                self.seal_now(sweep=sweep)
            except Exception:  # the database may be away; the rows stay pending and are sealed next time
                log.exception("sealing the audit trail failed; rows stay pending until the next seal")
                with self._lock:
                    self._due = None
            next_sweep = self._monotonic() + self.sweep

    # -- life cycle
    def start(self) -> None:
        """Start the thread in this process if it is not running (after a fork it is not)."""
        if self._pid == os.getpid() and self._thread is not None:
            return
        with _STARTING:
            if self._pid == os.getpid() and self._thread is not None:
                return
            if self._pid is not None:  # forked: the parent's lock and event are not this process's
                self._lock, self._wake = threading.Lock(), threading.Event()
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="mda-audit-sealer", daemon=True)
            self._pid = os.getpid()
            self._thread.start()
            atexit.register(self.stop)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and seal what is left (a process that exits in order leaves nothing pending)."""
        thread, self._stopping = self._thread, True
        self._wake.set()
        if thread is not None and self._pid == os.getpid():
            thread.join(timeout)
        self._thread = None
        if self._engine() is not None:
            try:
                self.seal_now(sweep=True)
            except Exception:  # at exit: the next sealer or audit-verify seals them
                log.exception("sealing the audit trail at exit failed; rows stay pending")


_STARTING = threading.Lock()
_SEALERS: weakref.WeakKeyDictionary[Engine, Sealer] = weakref.WeakKeyDictionary()


def sealer_for(engine: Engine) -> Sealer:
    """This process's sealer of *engine* (made on first use with :data:`SETTINGS`)."""
    sealer = _SEALERS.get(engine)
    if sealer is None:
        with _STARTING:
            sealer = _SEALERS.get(engine)
            if sealer is None:
                sealer = _SEALERS[engine] = Sealer(engine, delay=SETTINGS["delay"], sweep=SETTINGS["sweep"])
    return sealer


def _observe(sealed: Sealed) -> None:
    from mda.core import metrics

    metrics.AUDIT_ROWS_SEALED.inc(sealed.rows)
    if sealed.oldest is not None:
        metrics.AUDIT_SEAL_LAG.observe(max(0.0, (clock.now() - sealed.oldest).total_seconds()))


@event.listens_for(Session, "after_commit")
def _tell_the_sealer(db: Session) -> None:
    """After a commit that stored pending rows: tell the sealer (a flag and an event; no database work)."""
    if db.info.pop(SEAL_KEY, False) and SETTINGS["mode"] == "background":
        bind = db.get_bind()
        sealer_for(getattr(bind, "engine", bind)).notify()


@event.listens_for(Session, "after_rollback")
def _forget_seal(db: Session) -> None:
    db.info.pop(SEAL_KEY, None)
