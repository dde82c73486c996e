"""An organisation's OpenID provider and the accounts linked to a subject at it."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from mda.core.crypto import EncryptedText


class OidcProvider(SQLModel, table=True):
    """The identity provider an organisation's people log in with (at most one per organisation)."""

    __tablename__ = "oidc_provider"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", unique=True)
    issuer: str = Field(max_length=500)
    client_id: str = Field(max_length=255)
    #: Fernet-encrypted at rest with the MDA_TOTP_KEYS ring (rotated by ``flask rotate-totp-key``)
    client_secret: str = Field(sa_type=EncryptedText(2000))
    email_claim: str = Field(default="email", max_length=100)
    name_claim: str = Field(default="name", max_length=100)
    #: the ID token must show a second factor (``amr``, or an ``acr`` of :attr:`strong_acr_values`)
    require_mfa: bool = True
    #: space-separated ``acr`` values that count as a second factor (Keycloak, eHerkenning levels ...)
    strong_acr_values: str = Field(default="", max_length=500)
    created_at: datetime
    updated_at: datetime

    @property
    def strong_acrs(self) -> frozenset[str]:
        """The configured ``acr`` values that prove a second factor."""
        return frozenset(self.strong_acr_values.split())


class SsoIdentity(SQLModel, table=True):
    """An account linked to the pair (issuer, subject); once linked only this pair logs it in."""

    __tablename__ = "sso_identity"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_sso_identity_issuer_subject"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", unique=True)
    issuer: str = Field(max_length=500)
    subject: str = Field(max_length=255)
    linked_at: datetime
