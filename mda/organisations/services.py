"""Creating and changing organisations (admin only; audited)."""

from __future__ import annotations

from sqlmodel import Session, select

from mda.auth.models import User
from mda.auth.services import ServiceError
from mda.core import audit
from mda.organisations.models import ORGANISATION_TYPES, Organisation, Region


def list_organisations(db: Session) -> list[Organisation]:
    """Every organisation, by region and name."""
    return list(db.exec(select(Organisation).join(Region).order_by(Region.name, Organisation.name)))


def save_organisation(db: Session, admin: User, org: Organisation | None, *, name: str,
                      type_code: str, region_id: int, active: bool = True,
                      mailbox: str | None = None) -> Organisation:
    """Create (org None) or update an organisation."""
    if type_code not in ORGANISATION_TYPES:
        raise ServiceError("Kies een geldig organisatietype.", field="type_code")
    if db.get(Region, region_id) is None:
        raise ServiceError("Kies een bestaande regio.")
    name = name.strip()
    if not name:
        raise ServiceError("Geef de organisatie een naam.", field="name")
    if _name_taken(db, name, region_id, org.id if org is not None else None):
        raise ServiceError(f"In deze regio bestaat al een organisatie met de naam ‘{name}’; kies een andere naam, "
                           "zodat de organisaties in de keuzelijsten uit elkaar te houden zijn.", field="name")
    creating = org is None
    org = org or Organisation(name=name, type_code=type_code, region_id=region_id)
    before = "" if creating else f"{org.name}/{org.type_code}/{org.region_id}/{org.active}"
    org.name, org.type_code, org.region_id, org.active = name, type_code, region_id, active
    org.mailbox = (mailbox or "").strip() or None
    db.add(org)
    db.flush()
    audit.record(db, "create" if creating else "update", user=admin, object_type="organisation",
                 object_id=org.id,
                 summary=(f"organisatie {name} aangemaakt" if creating else
                          f"organisatie gewijzigd: {before} -> {name}/{type_code}/{region_id}/{active}"))
    return org


def _same_name(name: str) -> str:
    """*name* as two names are compared: spaces around and between words and capitals do not count."""
    return " ".join(name.split()).casefold()


def _name_taken(db: Session, name: str, region_id: int, own_id: int | None) -> bool:
    """Does another organisation of the region carry *name*? Compared in Python (a region has few organisations),
    so that capitals are folded the same way on SQLite and PostgreSQL."""
    wanted = _same_name(name)
    others = db.exec(select(Organisation.id, Organisation.name).where(Organisation.region_id == region_id))
    return any(_same_name(other) == wanted for other_id, other in others if other_id != own_id)
