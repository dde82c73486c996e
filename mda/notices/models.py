"""A user's choice per kind of notice (at once or in the daily digest), and the notices that wait for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

#: the kinds a user chooses for, with the Dutch label of the settings page (order = page order)
KINDS: dict[str, str] = {
    "acties": "Acties: herinneringen over termijnen en het overzicht van acties die aandacht vragen",
    "escalaties": "Escalaties: nieuwe stappen, standpunten en besluiten",
    "uitnodigingen": "Uitnodigingen voor overleggen, wijzigingen en annuleringen",
    "notulen": "Notulen die ter controle staan",
    "goedkeuring": "Voorstellen van een veiligheidsplan die op uw goedkeuring wachten",
}
#: the kinds' short names (headings in the digest)
KIND_TITLES: dict[str, str] = {"acties": "Acties", "escalaties": "Escalaties", "uitnodigingen": "Uitnodigingen",
                               "notulen": "Notulen", "goedkeuring": "Goedkeuring van het veiligheidsplan"}
DIRECT, DIGEST = "direct", "overzicht"
DELIVERIES: dict[str, str] = {DIRECT: "Direct per e-mail", DIGEST: "In het dagelijkse overzicht"}
#: what a user who never chose gets: everything at once, as before the choice existed (nobody misses a notice)
DEFAULTS: dict[str, str] = dict.fromkeys(KINDS, DIRECT)


class NoticePreference(SQLModel, table=True):
    """How *user* wants notices of one kind: ``direct`` or ``overzicht`` (no row: the default)."""

    __tablename__ = "notice_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_notice_preference_user_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    kind: str = Field(max_length=20)
    delivery: str = Field(max_length=10)
    updated_at: datetime


class DigestNotice(SQLModel, table=True):
    """A notice held for *user*'s next daily digest: the message as it would have gone out at once (subject, body
    and calendar attachments), so the digest carries exactly what the direct e-mail carries, no more. Deleted when
    the digest is sent.

    *case_id*: the case the notice is about, when it is about one. The digest asks the sharing engine again when it
    goes out and leaves out a notice whose case *user* may no longer open (taken off the circle, account moved,
    case purged since): a notice held for hours must not reach someone the direct mail would no longer reach."""

    __tablename__ = "digest_notice"
    __table_args__ = (Index("ix_digest_notice_user", "user_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    kind: str = Field(max_length=20)
    case_id: int | None = Field(default=None, foreign_key="case.id")
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    #: JSON list of text attachments (calendar files): filename, subtype, params, content
    attachments: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime
