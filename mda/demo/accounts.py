"""Demo region, one organisation of every type, and about a dozen accounts (all fictional)."""

from __future__ import annotations

from sqlmodel import Session, select

from mda.auth import passwords
from mda.auth.models import User
from mda.core import audit
from mda.core.timeutil import utcnow
from mda.organisations.models import Organisation, Region

#: The password of every demo account (README). Demo accounts only exist in demo databases.
DEMO_PASSWORD = "fictief-demo-wachtwoord-2026"  # noqa: S105 (public demo password)
REGION = ("DEMODAM", "Regio Demodam (fictief)")

ORGANISATIONS = {
    "VT": "Veilig Thuis Demodam (fictief)",
    "POL": "Politie eenheid Demodam (fictief)",
    "OM": "Openbaar Ministerie arrondissement Demodam (fictief)",
    "RVDK": "Raad voor de Kinderbescherming Demodam (fictief)",
    "RECL": "Reclassering Demodam (fictief)",
    "GGZ": "GGZ Demodam (fictief)",
    "LT": "Wijkteam Demodam-Noord (fictief)",
    "GI": "Jeugdbescherming Demodam (fictief)",
    "VO": "Vrouwenopvang Demodam (fictief)",
    "ZVH": "Zorg- en Veiligheidshuis Demodam (fictief)",
}

#: e-mail, name, organisation type, roles
ACCOUNTS = [
    ("beheer@demo.invalid", "Bram Beheer (fictief)", "ZVH", ["admin"]),
    ("regisseur.zvh@demo.invalid", "Roos Regie (fictief)", "ZVH", ["coordinator"]),
    ("regisseur.vt@demo.invalid", "Vera Veldhuis (fictief)", "VT", ["coordinator", "professional"]),
    ("medewerker.vt@demo.invalid", "Mo Meldpunt (fictief)", "VT", ["professional"]),
    ("teamleider.vt@demo.invalid", "Tessa Teamlei (fictief)", "VT", ["team_lead"]),
    ("agent.pol@demo.invalid", "Peter Posthoorn (fictief)", "POL", ["professional"]),
    ("officier.om@demo.invalid", "Olga Officier (fictief)", "OM", ["professional"]),
    ("onderzoeker.rvdk@demo.invalid", "Rik Raadsman (fictief)", "RVDK", ["professional"]),
    ("toezicht.recl@demo.invalid", "Rana Reclas (fictief)", "RECL", ["professional"]),
    ("behandelaar.ggz@demo.invalid", "Gijs Gezond (fictief)", "GGZ", ["professional"]),
    ("wijkteam.lt@demo.invalid", "Lotte Lokaal (fictief)", "LT", ["professional"]),
    ("teamleider.lt@demo.invalid", "Lars Leiding (fictief)", "LT", ["team_lead"]),
    ("jeugdbescherming.gi@demo.invalid", "Gina Gezag (fictief)", "GI", ["professional"]),
    ("opvang.vo@demo.invalid", "Vita Vrijhaven (fictief)", "VO", ["professional"]),
    ("privacy@demo.invalid", "Pim Privacy (fictief)", "ZVH", ["privacy_officer"]),
]


def demo_organisation(db: Session, type_code: str) -> Organisation:
    """The demo organisation of *type_code* (for later seeders and tests)."""
    return db.exec(select(Organisation).where(Organisation.name == ORGANISATIONS[type_code])).one()


def demo_user(db: Session, email: str) -> User:
    """The demo account with *email*."""
    return db.exec(select(User).where(User.email == email)).one()


def create_accounts(db: Session, accounts) -> int:
    """The demo accounts of *accounts* (email, name, organisation type, roles) that are missing; returns how many
    were created. They share one hash of :data:`DEMO_PASSWORD` (hashing is slow on purpose)."""
    created, password_hash = 0, None
    for email, name, type_code, roles in accounts:
        if db.exec(select(User).where(User.email == email)).first() is not None:
            continue
        password_hash = password_hash or passwords.hash_password(DEMO_PASSWORD)
        user = User(email=email, name=name, organisation_id=demo_organisation(db, type_code).id,
                    password_hash=password_hash, is_demo=True, created_at=utcnow())
        user.roles = roles
        db.add(user)
        created += 1
    db.flush()
    return created


def seed_accounts(db: Session) -> int:
    """Region, organisations and accounts; returns the number created."""
    created = 0
    region = db.exec(select(Region).where(Region.code == REGION[0])).first()
    if region is None:
        region = Region(code=REGION[0], name=REGION[1])
        db.add(region)
        db.flush()
        created += 1
    for type_code, name in ORGANISATIONS.items():
        if db.exec(select(Organisation).where(Organisation.name == name)).first() is None:
            db.add(Organisation(name=name, type_code=type_code, region_id=region.id))
            created += 1
    db.flush()
    created += create_accounts(db, ACCOUNTS)
    if created:
        audit.record(db, "create", user_name="demo-data", object_type="demo",
                     summary=f"fictieve demodata geladen: {created} regio/organisaties/accounts")
    return created
