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
from mda.config import ROOT


@functools.cache
def known_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """This code's Alembic head revision(s) and every revision it knows (read once from migrations/)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    script = ScriptDirectory.from_config(cfg)
    return frozenset(script.get_heads()), frozenset(r.revision for r in script.walk_revisions())


def schema_state(current: set[str]) -> str:
    """"ok" at this code's head; "nieuwer" past it; "niet bijgewerkt" behind it or never migrated.

    During a rolling upgrade the pre-upgrade Job migrates first, while the old pods still serve: to them the new
    revision is unknown, and they must stay ready (migrations are written to be compatible with the release
    before). A new pod that meets an older revision it knows waits, unready, until the migration ran.
    """
    heads, known = known_revisions()
    if current == heads:
        return "ok"
    if current and not current & known:
        return "nieuwer"
    return "niet bijgewerkt"


def readiness() -> dict[str, str]:
    """Check each dependency; return name -> state: "ok" (or "nieuwer" for the schema) or a short Dutch reason."""
    checks: dict[str, str] = {}
    try:
        with db.engine().connect() as conn:
            checks["database"] = "ok"
            try:
                current = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
            except Exception:  # no alembic_version table: never migrated
                current = set()
            checks["schema"] = schema_state(current)
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
