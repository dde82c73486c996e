"""API shapes of documents."""

from pydantic import BaseModel


class DocumentOut(BaseModel):
    """A stored document: its item (decided like any item), number, type, size and digest; never its title."""

    item_id: int
    number: int
    content_type: str
    size: int
    sha256: str
