"""A case document: the file behind an item of the minimal data set.

The item (:class:`mda.cases.models.Item`) holds what the sharing engine decides on: category,
source organisation, the persons concerned, and the title (its ``content``). This row holds
only what is needed to serve the bytes: where they are stored, their type, size and digest.
"""

from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Column, Field, SQLModel, UniqueConstraint


class Document(SQLModel, table=True):
    """The stored file of a document item; ``storage_key`` is a random id, never the user's file name."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("case_id", "number"),)

    item_id: int = Field(foreign_key="item.id", primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    #: brought to a meeting with the organisation's pre-meeting update: shown on this case item of the meeting page
    #: and the live session (to those the engine allows); None for a document added to the case only
    agenda_item_id: int | None = Field(default=None, foreign_key="agenda_item.id", index=True)
    #: the document's number within its case: the neutral download name is "<reference>-document-<number>"
    number: int
    #: where the encrypted bytes are (None once destroyed)
    storage_key: str | None = Field(default=None, max_length=64)
    content_type: str = Field(max_length=100)
    extension: str = Field(max_length=10)
    size: int
    sha256: str = Field(max_length=64)
    #: "clamav" or "uitgeschakeld (demo)": how the upload was scanned
    scanned_with: str = Field(max_length=40)
    uploaded_at: datetime
    destroyed_at: datetime | None = None


class DocumentBlob(SQLModel, table=True):
    """The encrypted bytes of one document (database storage); the row goes when the document is destroyed."""

    __tablename__ = "document_blob"

    key: str = Field(primary_key=True, max_length=64)
    #: the file encrypted (AES-GCM, :class:`mda.documents.storage.Cipher`); the plain bytes are never stored
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime
