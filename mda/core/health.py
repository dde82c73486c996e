"""What the cluster's probes ask: is the process alive, and may it take traffic?

Liveness asks nothing of the database (a database outage must not get every replica restarted);
readiness asks the database, the schema revision and, when configured, Redis, so that a replica
is taken out of the Service while it cannot serve and a new release waits for its migration.
"""

from __future__ import annotations

import functools

from flask import current_app
from sqlalchemy import text

from mda import db


@functools.cache
def head_revisions() -> frozenset[str]:
    """The Alembic head revision(s) this code expects (read once from migrations/)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from mda import ROOT

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return frozenset(ScriptDirectory.from_config(cfg).get_heads())


def readiness() -> dict[str, str]:
    """Check each dependency; return name -> "ok" or a short Dutch reason (no connection details)."""
    checks: dict[str, str] = {}
    try:
        with db.engine().connect() as conn:
            checks["database"] = "ok"
            try:
                current = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
            except Exception:  # no alembic_version table: never migrated
                current = set()
            checks["schema"] = "ok" if current == head_revisions() else "niet bijgewerkt"
    except Exception:  # any failure to reach the database means not ready
        current_app.logger.warning("readiness: database unreachable")
        checks["database"] = "onbereikbaar"
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        import redis

        try:
            redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception:  # any Redis failure means live events would not cross replicas
            current_app.logger.warning("readiness: redis unreachable")
            checks["redis"] = "onbereikbaar"
    return checks
