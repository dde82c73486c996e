"""Pseudonymous references (MDA-2026-0042, AM-2026-0007) numbered without collisions.

A counter row per stem is incremented with one ``UPDATE ... RETURNING``: the row lock makes a
second transaction wait for the first to commit, so two coordinators accepting at the same
moment get consecutive numbers instead of the same one (which the unique index would refuse).
The counter starts from the highest reference already stored, so existing data continues.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Field, Session, SQLModel, select


class ReferenceCounter(SQLModel, table=True):
    """The last number handed out for a reference stem such as ``MDA-2026-``."""

    __tablename__ = "reference_counter"

    stem: str = Field(primary_key=True, max_length=20)
    last_number: int


def next_reference(db: Session, model, prefix: str, year: int) -> str:
    """The next reference ``{prefix}-{year}-NNNN`` for *model* (a table with a ``reference`` column)."""
    stem = f"{prefix}-{year}-"
    exists = db.execute(text("SELECT 1 FROM reference_counter WHERE stem = :s"), {"s": stem}).first()
    if exists is None:
        refs = db.exec(select(model.reference).where(model.reference.startswith(stem))).all()
        highest = max((int(r.removeprefix(stem)) for r in refs if r.removeprefix(stem).isdigit()), default=0)
        # two first-of-the-year transactions may race here: the second insert does nothing
        db.execute(text("INSERT INTO reference_counter (stem, last_number) VALUES (:s, :n) "
                        "ON CONFLICT (stem) DO NOTHING"), {"s": stem, "n": highest})
    number = db.execute(text("UPDATE reference_counter SET last_number = last_number + 1 WHERE stem = :s "
                             "RETURNING last_number"), {"s": stem}).scalar_one()
    return f"{stem}{number:04d}"
