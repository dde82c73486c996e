"""Accounts, their second factor and their API tokens."""


from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Field, Relationship, SQLModel

from mda.core.crypto import EncryptedText

if TYPE_CHECKING:
    from mda.organisations.models import Organisation

#: Roles, code -> Dutch name. Which role may do what is decided in core.permissions.
ROLES: dict[str, str] = {
    "coordinator": "Procesregisseur",
    "professional": "Professional",
    "team_lead": "Teamleider",
    "manager": "Manager (escalatieniveau 2)",
    "bestuurder": "Bestuurder (doorzettingsmacht)",
    "privacy_officer": "Privacyfunctionaris",
    "admin": "Beheerder",
}


class User(SQLModel, table=True):
    """A person who logs in; belongs to one organisation, has one or more roles."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=254)
    name: str = Field(max_length=200)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    roles_text: str = Field(default="professional", max_length=200)
    password_hash: str | None = None
    active: bool = True
    is_demo: bool = False
    #: the authenticator's seed, Fernet-encrypted at rest (mda.core.crypto)
    totp_secret: str | None = Field(default=None, sa_type=EncryptedText(255))
    #: a seed shown during enrolment and not yet confirmed; kept here, encrypted, not in the cookie
    totp_pending_secret: str | None = Field(default=None, sa_type=EncryptedText(255))
    totp_enabled: bool = False
    #: last TOTP time step accepted, so a code cannot be used twice
    totp_last_step: int = 0
    failed_logins: int = 0
    locked_until: datetime | None = None
    #: Part of the login cookie; bumping it ends every session of this user.
    session_version: int = 1
    created_at: datetime
    last_login_at: datetime | None = None

    organisation: "Organisation" = Relationship(back_populates="users")

    # flask-login protocol -------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """Identifier stored in the session cookie; changes when sessions are revoked."""
        return f"{self.id}:{self.session_version}"

    # roles -----------------------------------------------------------------
    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r for r in self.roles_text.split() if r)

    @roles.setter
    def roles(self, value) -> None:
        unknown = set(value) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles: {sorted(unknown)}")
        self.roles_text = " ".join(sorted(set(value)))

    def has_role(self, role: str) -> bool:
        """Whether the user holds *role* (an unknown role name raises)."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        return role in self.roles

    @property
    def role_names(self) -> list[str]:
        return [ROLES[r] for r in sorted(self.roles)]


class RecoveryCode(SQLModel, table=True):
    """A one-time code that replaces the authenticator app once (stored hashed)."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    code_hash: str
    used_at: datetime | None = None


class AccountToken(SQLModel, table=True):
    """A one-time link token for setting a password (invitation or reset)."""

    __tablename__ = "account_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    purpose: str = Field(max_length=20)  # invite | reset
    token_hash: str = Field(unique=True, max_length=64)
    expires_at: datetime
    used_at: datetime | None = None


class ApiToken(SQLModel, table=True):
    """A personal API token; only its SHA-256 is stored, it can be revoked."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    label: str = Field(max_length=100)
    prefix: str = Field(unique=True, max_length=16)
    token_hash: str = Field(max_length=64)
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
