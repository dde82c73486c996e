"""Redis down: live events keep working within a process, counted by the process's own rate limiter."""

import logging

import pytest

from mda.live import ratelimit
from tests.live.test_working import _started

NOBODY_LISTENS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_away(app, monkeypatch):
    """The app's Redis is a port nobody listens on; every event tries it (no pause between attempts)."""
    monkeypatch.setitem(app.config, "REDIS_URL", NOBODY_LISTENS)
    monkeypatch.setattr(ratelimit, "REDIS_RETRY_SECONDS", 0)
    monkeypatch.setattr(ratelimit, "_redis_down_at", None)
    monkeypatch.setattr(ratelimit, "_redis_clients", {})


def _saves(chair, meeting, count: int, prefix: str) -> list[dict]:
    return [chair.send("stuk_nieuw", {"id": f"{prefix}-{n:04d}", "punt": meeting.item_a,
                                      "tekst": f"Afspraak {n} (fictief)"}) for n in range(count)]


def test_live_saves_succeed_with_one_warning_while_redis_is_down(app, live, world, meeting, redis_away, caplog):
    """With Redis unreachable, are live saves still stored, and does the log hold one warning for the outage
    (no error, no traceback per event)?"""
    chair, _clients = _started(live, world, meeting)
    with caplog.at_level(logging.INFO):
        answers = _saves(chair, meeting, 5, "redis-weg")
    assert all(a["ok"] for a in answers), answers
    from_limiter = [r for r in caplog.records if r.name == ratelimit.log.name]
    assert [r.levelno for r in from_limiter] == [logging.WARNING]
    assert "Redis" in from_limiter[0].getMessage() and from_limiter[0].exc_info is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_live_rate_limit_still_holds_while_redis_is_down(app, live, world, meeting, redis_away, monkeypatch):
    """With Redis unreachable, does a flooding client still get refused (counted in this process)?"""
    chair, _clients = _started(live, world, meeting)
    monkeypatch.setitem(app.config, "LIVE_RATE_LIMIT", (3, 3600))
    ratelimit._windows.clear()
    answers = _saves(chair, meeting, 4, "redis-vloed")
    assert [a["ok"] for a in answers] == [True, True, True, False]
    assert "te veel" in answers[-1]["fout"]


class _FlakyRedis:
    """A Redis client that fails while ``down`` and counts in a dict otherwise."""

    def __init__(self):
        self.down, self.counts = True, {}

    def incr(self, key):
        if self.down:
            raise ConnectionError("Redis is weg")
        self.counts[key] = self.counts.get(key, 0) + 1
        return self.counts[key]

    def expire(self, key, seconds):
        return True


def test_sockets_resynchronise_when_redis_returns(app, live, world, meeting, redis_away, monkeypatch, caplog):
    """When Redis answers again after an outage, are the counters shared again and is every socket of this process
    told to fetch its view afresh (notices between processes were lost meanwhile)?"""
    flaky = _FlakyRedis()
    monkeypatch.setattr(ratelimit, "_redis", lambda url: flaky)
    chair, (pol,) = _started(live, world, meeting, "POL")
    assert chair.send("hier")["ok"]
    pol.received()
    assert not flaky.counts
    flaky.down = False
    with caplog.at_level(logging.INFO):
        assert chair.send("hier")["ok"]
    assert flaky.counts  # counted in Redis again
    assert any(m["name"] == "controle" for m in pol.received())
    assert chair.send("hier")["ok"]
    assert not any(m["name"] == "controle" for m in pol.received())  # once per outage, not per event
    said = [r.getMessage() for r in caplog.records if r.name == ratelimit.log.name]
    assert len(said) == 2 and "unreachable" in said[0] and said[1] == "live rate limit: Redis reachable again"
