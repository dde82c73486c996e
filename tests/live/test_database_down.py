"""Database down during a live session: a Dutch refusal per event, one warning per outage, no traceback."""

import logging

from mda.core.errors import DATABASE_DOWN
from tests.core.test_database_down import fresh_outage, take_database_down  # noqa: F401  (fixtures)


def test_live_events_while_the_database_is_down_get_the_dutch_message_and_one_warning(
        app, live, world, meeting, take_database_down, fresh_outage, caplog):  # noqa: F811
    """Are live events during a database outage refused with the Dutch "database" message (the socket stays), with
    one warning in the log and no error or traceback, and do they work again once the database is back?"""
    client = live(world["users"]["POL"])
    assert client.send("deelnemen", {"overleg": meeting.id})["ok"]
    patch = take_database_down()
    with caplog.at_level(logging.INFO):
        answers = [client.send(name) for name in ("overleg", "hier", "overleg")]
    assert [a["fout"] for a in answers] == [DATABASE_DOWN] * 3
    assert client.connected
    said = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(said) == 1 and said[0].levelno == logging.WARNING and said[0].exc_info is None
    patch.undo()
    assert client.send("overleg")["ok"]
