"""Regions and partner organisations."""


from typing import TYPE_CHECKING

from sqlmodel import Field, Relationship, SQLModel

if TYPE_CHECKING:
    from mda.auth.models import User

#: Organisation types of domain.md, code -> Dutch name.
ORGANISATION_TYPES: dict[str, str] = {
    "VT": "Veilig Thuis",
    "POL": "Politie",
    "OM": "Openbaar Ministerie",
    "RVDK": "Raad voor de Kinderbescherming",
    "RECL": "Reclassering",
    "GGZ": "GGZ-instelling",
    "LT": "Lokaal team / wijkteam",
    "GI": "Gecertificeerde instelling",
    "VO": "Vrouwenopvang",
    "ZVH": "Zorg- en Veiligheidshuis",
}


class Region(SQLModel, table=True):
    """A safety region with its own covenant, agendas and partners."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=40)
    name: str = Field(max_length=200)

    organisations: list["Organisation"] = Relationship(back_populates="region")


class Organisation(SQLModel, table=True):
    """A partner organisation; users belong to exactly one."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    type_code: str = Field(max_length=10, index=True)
    region_id: int = Field(foreign_key="region.id", index=True)
    active: bool = True
    #: a shared mailbox of the organisation (e.g. the team's), that also receives the reminders of actions
    #: the organisation owns as a whole; None: only its team leads do
    mailbox: str | None = Field(default=None, max_length=254)

    region: "Region" = Relationship(back_populates="organisations")
    users: list["User"] = Relationship(back_populates="organisation")

    @property
    def type_name(self) -> str:
        """The Dutch name of the organisation type."""
        return ORGANISATION_TYPES.get(self.type_code, self.type_code)
