"""Records the privacy officer keeps: destruction of a person's data on request."""

from datetime import date, datetime

from sqlmodel import Field, SQLModel


class DestructionRecord(SQLModel, table=True):
    """Who asked for destruction, when, why, and what was destroyed (the data itself is gone)."""

    __tablename__ = "destruction_record"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    case_reference: str = Field(max_length=20)
    requested_by: str = Field(max_length=200)
    requested_on: date
    reason: str = Field(max_length=2000)
    performed_by_id: int = Field(foreign_key="app_user.id")
    performed_at: datetime
    summary: str = Field(max_length=2000)
