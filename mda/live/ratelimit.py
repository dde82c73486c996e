"""The live events' rate limit: a fixed window per user, shared through Redis when several processes run,
counted in this process's memory while Redis is away (one warning per outage)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app

from mda.extensions import socketio
from mda.live.sockets import NAMESPACE, SOCKETS

log = logging.getLogger(__name__)

@dataclass
class _Window:
    started: float = 0.0
    count: int = 0
    warned: bool = False


_windows: dict[int, _Window] = {}
_windows_lock = threading.Lock()


def _limit() -> tuple[int, int]:
    return current_app.config.get("LIVE_RATE_LIMIT", (60, 10))


def allow_event(user_id: int) -> tuple[bool, bool]:
    """(allowed, warn): a fixed window per user, shared through Redis when several processes run.

    Redis unreachable: the window is counted in this process's memory (as the HTTP limiter does), with one warning
    per outage and no traceback per event; Redis is tried again every :data:`REDIS_RETRY_SECONDS`. When it answers
    again, this process's sockets are told to fetch their views afresh (``controle``): notices between processes
    sent while it was away are lost."""
    limit, seconds = _limit()
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url and _redis_worth_trying():
        try:
            allowed = _allow_shared(_redis(redis_url), user_id, limit, seconds)
        except Exception as exc:  # redis.RedisError, OSError: any failure of the store means "count here"
            _redis_failed(exc)
        else:
            _redis_answered()
            return allowed
    return _allow_local(user_id, limit, seconds)


def _allow_shared(client, user_id: int, limit: int, seconds: int) -> tuple[bool, bool]:
    key = f"mda:live:rate:{user_id}:{int(time.time() // seconds)}"  # real clock: a rate window, not a date
    count = client.incr(key)
    if count == 1:
        client.expire(key, seconds * 2)
    return count <= limit, count == limit + 1


def _allow_local(user_id: int, limit: int, seconds: int) -> tuple[bool, bool]:
    now = time.monotonic()
    with _windows_lock:
        window = _windows.setdefault(user_id, _Window())
        if now - window.started >= seconds:
            window.started, window.count, window.warned = now, 0, False
        window.count += 1
        if window.count <= limit:
            return True, False
        warn = not window.warned
        window.warned = True
        return False, warn


#: while Redis is away, how often an event tries it again (the others count in memory without waiting for it)
REDIS_RETRY_SECONDS = 5.0
#: monotonic time of the last failed attempt while Redis is away; None while it answers
_redis_down_at: float | None = None


def _redis_worth_trying() -> bool:
    return _redis_down_at is None or time.monotonic() - _redis_down_at >= REDIS_RETRY_SECONDS


def _redis_failed(exc: Exception) -> None:
    """One warning when an outage starts (no traceback, no user): later failures of the same outage are quiet."""
    global _redis_down_at
    with _windows_lock:
        first = _redis_down_at is None
        _redis_down_at = time.monotonic()
    if first:
        log.warning("live rate limit: Redis unreachable (%s); counting in this process until it is back",
                    type(exc).__name__)


def _redis_answered() -> None:
    """Redis answers: end an outage, and have this process's sockets fetch what they may have missed."""
    global _redis_down_at
    if _redis_down_at is None:
        return
    with _windows_lock:
        was_down, _redis_down_at = _redis_down_at is not None, None
    if was_down:
        log.info("live rate limit: Redis reachable again")
        sids = list(SOCKETS)
        if sids:  # this process's sockets only: each process notices Redis's return on its own next event
            socketio.server.emit("controle", {}, to=sids, namespace=NAMESPACE, ignore_queue=True)


_redis_clients: dict[str, Any] = {}


def _redis(url: str):
    if url not in _redis_clients:
        import redis

        # short timeouts: a Redis that hangs must not hold every live event for the default (no) timeout
        _redis_clients[url] = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    return _redis_clients[url]
