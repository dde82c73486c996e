"""Counting the SQL statements a request runs, so that an N+1 cannot come back unnoticed."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event


class QueryCounter:
    """The statements run on the app's engine while counting (SAVEPOINT/PRAGMA noise excluded)."""

    def __init__(self):
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)

    def __repr__(self) -> str:  # shown by a failing assertion: which statements ran
        return f"{len(self)} queries:\n" + "\n".join(s[:160] for s in self.statements)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as q: client.get(...)``; ``len(q)`` is the number of statements."""
    engine = app.extensions["mda_engine"]

    @contextmanager
    def counting():
        from mda.organisations import names

        # every count starts without the per-process organisation names, so two counts compare like with like
        names.forget()
        counter = QueryCounter()

        def before(_conn, _cursor, statement, _params, _context, _many):
            if not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
                counter.statements.append(" ".join(statement.split()))

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting


# the meetings fixtures (world, plan, invite, service), for the meeting pages and feeds
from tests.meetings.conftest import invite, plan, service, world  # noqa: E402,F401
