"""Response and request models of the API (pydantic, shown in the OpenAPI document), and the field types every
request model uses so that the document states the services' rules (the API contract, docs/api.md):

- :data:`Id`: an object's number, 1 to 2^31-1 (what the database's ``integer`` holds);
- :func:`text`: a text without a NUL byte (refused with 400 everywhere, :mod:`mda.core.input_guard`), with the
  length its column holds and, when it is required, at least one visible character;
- :data:`Day`: a date in 1900-2199 (the one date rule, :func:`mda.core.input_guard.check_stored_date`, whose Dutch
  message names the date: the document states the range, the service refuses with that message);
- :class:`In`: a request body names only the documented fields (``additionalProperties: false``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

#: the largest id the database's ``integer`` holds (:data:`mda.core.input_guard.MAX_DB_INT`)
MAX_ID = 2**31 - 1
#: no NUL byte (PostgreSQL cannot store one; the input guard answers 400)
NO_NUL = r"^[^\x00]*$"
#: white space as the services see it (Python's ``str.isspace``, which ``strip`` and ``split`` use), spelled out: the
#: ``\s`` of JSON Schema's regular expressions (ECMA 262) and of pydantic's differ from it and from each other
WHITE_SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: no NUL byte and at least one character that is not white space (a required text)
VISIBLE = rf"^[^\x00]*[^\x00{WHITE_SPACE}][^\x00]*$"
#: the years of the date rule, stated in the document beside ``format: date``
DAY_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2})-[0-9]{2}-[0-9]{2}$"

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
#: the range is stated (pattern, description) and enforced by the service, whose Dutch message names the date
Day = Annotated[date, Field(json_schema_extra={"pattern": DAY_PATTERN},
                            description="Een datum van 1900-01-01 tot en met 2199-12-31 (anders 422)")]


def text(max_length: int, *, required: bool = True, **field: Any) -> Any:
    """A text field: no NUL, at most *max_length* characters, and (if *required*) not blank."""
    return Annotated[str, Field(min_length=1 if required else 0, max_length=max_length,
                                pattern=VISIBLE if required else NO_NUL, **field)]


class In(BaseModel):
    """A request body: a field the document does not name is refused (422), not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Error(BaseModel):
    """Every error: HTTP status, Dutch title and message."""

    error: int
    title: str
    message: str
    details: dict | None = None


class OrganisationOut(BaseModel):
    id: int
    name: str
    type_code: str
    type_name: str
    region: str


class MeOut(BaseModel):
    id: int
    email: str
    name: str
    roles: list[str]
    organisation: OrganisationOut


class OrganisationList(BaseModel):
    organisations: list[OrganisationOut]


class OrganisationIn(In):
    name: text(200)
    type_code: text(10, description="Soort organisatie, een code uit organisation_types.toml")
    region_id: Id


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    roles: list[str]
    active: bool
    organisation_id: int


class UserList(BaseModel):
    users: list[UserOut]
