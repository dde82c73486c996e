"""Response and request models of the API (pydantic, shown in the OpenAPI document)."""

from __future__ import annotations

from pydantic import BaseModel


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


class OrganisationIn(BaseModel):
    name: str
    type_code: str
    region_id: int


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    roles: list[str]
    active: bool
    organisation_id: int


class UserList(BaseModel):
    users: list[UserOut]
