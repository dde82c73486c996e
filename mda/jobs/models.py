"""Marks that make time-driven jobs idempotent."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class JobMark(SQLModel, table=True):
    """"This was done": one row per unique key (e.g. a reminder for one action and one due date).

    The unique key is what makes a job idempotent across processes: two runs at once both
    try to insert the same key, the database lets exactly one succeed.
    """

    __tablename__ = "job_mark"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)
    job: str = Field(max_length=80, index=True)
    created_at: datetime
