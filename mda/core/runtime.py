"""Settings of the Python runtime for a long-running server process (not for tests or CLI commands)."""

from __future__ import annotations

import gc


def tune_garbage_collector() -> None:
    """Keep the garbage collector from pausing every thread of the server for a tenth of a second.

    Measured in the live fan-out benchmark (50 clients, 10 changes): a full collection walked every
    object the process ever loaded (Flask, SQLAlchemy, Babel catalogues, templates) and took 150-210 ms,
    twelve times in the run, while every request and socket waited on the interpreter lock. After
    start-up those objects live as long as the process, so :func:`gc.freeze` moves them out of the
    collector's sight; what requests create is still collected. (A young-generation threshold of
    10,000 instead of 700 was tried: fewer collections, but of 12-24 ms each.) Call once, after the
    app is created, in the serving process.
    """
    gc.collect()
    gc.freeze()
