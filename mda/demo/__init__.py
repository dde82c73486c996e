"""Fictional demo data. Every name, address and event here is invented.

:func:`load_demo` is idempotent and deterministic: each seeder looks records up by
a natural key and creates only what is missing. The demo sits above every feature (like the CLI): it knows
them all and no feature imports it, so its seeders are one fixed list in dependency order, not a registry.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from mda.demo import cases, escalations, live, meetings, safety_plan
from mda.demo.accounts import DEMO_PASSWORD, seed_accounts

__all__ = ["DEMO_PASSWORD", "SEEDERS", "load_demo"]

#: Seeders in dependency order; each returns the number of records it created.
SEEDERS: tuple[Callable[[Session], int], ...] = (
    seed_accounts, cases.seed, meetings.seed, safety_plan.seed, escalations.seed, live.seed)


def load_demo(db: Session) -> int:
    """Run every seeder; return how many records were created."""
    return sum(seeder(db) for seeder in SEEDERS)
