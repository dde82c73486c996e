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
        raise ServiceError("Geef de organisatie een naam.")
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
