"""Fictional demo data. Every name, address and event here is invented.

:func:`load_demo` is idempotent and deterministic: each seeder looks records up by
a natural key and creates only what is missing. Later features append their own
seeder to :data:`SEEDERS` (cases, meetings, plans, escalations).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from mda.demo.accounts import DEMO_PASSWORD, seed_accounts

__all__ = ["DEMO_PASSWORD", "SEEDERS", "load_demo"]

#: Seeders in dependency order; each returns the number of records it created.
SEEDERS: list[Callable[[Session], int]] = [seed_accounts]


def load_demo(db: Session) -> int:
    """Run every seeder; return how many records were created."""
    _register_feature_seeders()
    return sum(seeder(db) for seeder in SEEDERS)


def _register_feature_seeders() -> None:
    """Import feature seeders lazily so that this module has no import cycles."""
    import importlib

    for module in ("mda.demo.cases", "mda.demo.meetings", "mda.demo.safety_plan", "mda.demo.escalations",
                   "mda.live.demo"):
        try:
            seeder = importlib.import_module(module).seed
        except ModuleNotFoundError:
            continue
        if seeder not in SEEDERS:
            SEEDERS.append(seeder)
