"""API shapes of documents: the multipart upload, the stored document, and the file answer of a download."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, model_validator
from spectree import Response

from mda.api.schemas import text
from mda.documents import filetypes

#: the types a document is stored as (decided by content at upload) and served as
MEDIA_TYPES = [t.content_type for t in (filetypes.PDF, filetypes.DOCX, filetypes.ODT, filetypes.JPEG, filetypes.PNG)]


#: the largest id a column holds (PostgreSQL integer): larger numbers are refused as input, not sent to the database
MAX_ID = 2**31 - 1


def _as_list(value):
    """A repeated form field arrives as one value when it is sent once (spectree reads the form without the model)."""
    return value if isinstance(value, list) else [value]


class DocumentUpload(BaseModel):
    """The multipart/form-data body of an upload: the file and what the sharing engine decides on."""

    file: Any = Field(..., description="Het bestand: PDF, DOCX, ODT, JPEG of PNG (bepaald op inhoud, niet op naam); "
                                       "de bestandsnaam wordt de titel als 'title' leeg is.",
                      json_schema_extra={"type": "string", "format": "binary",
                                         "contentMediaType": "application/octet-stream"})
    category: text(40, description="Categorie van de minimale gegevensset (bijv. 'justitie')")
    title: text(200, required=False, description="Titel; leeg: de opgeschoonde bestandsnaam") = ""
    person_ids: Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], BeforeValidator(_as_list)] = Field(
        default_factory=list, description="De personen van de casus over wie het document gaat (herhaald veld)")

    agenda_item_id: int | None = Field(None, ge=1, le=MAX_ID, description="Bij de update vóór het overleg van dit "
                                       "agendapunt (casus) van uw organisatie; leeg: alleen bij de casus")

    @model_validator(mode="before")
    @classmethod
    def _file_as_a_mark(cls, data):
        """The view reads the file from the request itself; validation sees only that one was sent, so an error
        never carries (or tries to serialise) the upload."""
        if isinstance(data, dict) and "file" in data:
            data = {**data, "file": "<bestand>" if hasattr(data["file"], "stream") else data["file"]}
        return data


class DocumentOut(BaseModel):
    """A stored document: its item (decided like any item), number, type, size and digest; never its title."""

    item_id: int
    number: int
    content_type: str
    size: int
    sha256: str


class FileResponse(Response):
    """A spectree :class:`~spectree.Response` whose 200 is a file: the OpenAPI document names its media types and
    the headers every download carries (spectree itself only describes JSON bodies)."""

    def generate_spec(self, naming_strategy=None) -> dict[str, Any]:
        spec = super().generate_spec(naming_strategy) if naming_strategy else super().generate_spec()
        spec["200"] = {
            "description": "Het document als bijlage, met watermerk (PDF, afbeelding, DOCX, ODT)",
            "content": {t: {"schema": {"type": "string", "format": "binary", "contentMediaType": t}}
                        for t in MEDIA_TYPES},
            "headers": {
                "Content-Disposition": {"description": "altijd attachment, met een neutrale naam "
                                                       "(<casusnummer>-document-<nr>.<ext>)",
                                        "schema": {"type": "string", "pattern": "^attachment; filename=\""}},
                "X-Content-Type-Options": {"schema": {"type": "string", "enum": ["nosniff"]}},
                "Cache-Control": {"schema": {"type": "string"}},
            },
        }
        return spec
