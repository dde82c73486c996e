"""Cases, their circle, persons, minimal-data-set items and the bases for sharing them.

Nothing in this module decides who sees what: that is :mod:`mda.core.sharing`.
"""

from datetime import date, datetime

from sqlalchemy import Index, text
from sqlmodel import Field, Relationship, SQLModel, UniqueConstraint

#: Phases of an MDA++ case, code -> Dutch name (in order).
PHASES: dict[str, str] = {
    "aanmelding": "Aanmelding",
    "triage": "Triage",
    "acute_veiligheid": "Acute veiligheid",
    "stabiele_veiligheid": "Stabiele veiligheid",
    "herstel": "Herstel",
    "monitoring": "Monitoring",
    "afgesloten": "Afgesloten",
}

#: Roles of a person in a case.
PERSON_ROLES: dict[str, str] = {
    "slachtoffer": "Slachtoffer",
    "vermoedelijke_pleger": "Vermoedelijke pleger",
    "kind": "Kind",
    "ouder_verzorger": "Ouder/verzorger",
    "overig": "Overig",
}

#: Urgencies; their codes sort from the most urgent to the least (acuut, hoog, normaal), which lists of open
#: cases order by (sharing.visible_open_cases_statement; a test holds a new code to it)
URGENCIES: dict[str, str] = {"normaal": "Normaal", "hoog": "Hoog", "acuut": "Acuut"}


class Case(SQLModel, table=True):
    """An MDA++ case: one household, one coordinator, one circle of partners."""

    # a coordinator's cases newest first without sorting (sharing.visible_case_ids)
    __table_args__ = (
        Index("ix_case_coordinator_newest", "coordinator_id", "id"),
        # the few purged cases, skipped by each source of sharing.visible_case_ids
        Index("ix_case_purged", "id", postgresql_where=text("purged_at IS NOT NULL"),
              sqlite_where=text("purged_at IS NOT NULL")),
        # a coordinator's open cases, most urgent then newest, from the index alone
        # (sharing.visible_open_cases_statement: "add a case to the agenda")
        Index("ix_case_open_by_urgency", "coordinator_id", "urgency", "opened_at", "id",
              postgresql_where=text("closed_at IS NULL"), sqlite_where=text("closed_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, index=True, max_length=20)
    region_id: int = Field(foreign_key="region.id", index=True)
    coordinator_id: int = Field(foreign_key="app_user.id", index=True)
    phase: str = Field(default="triage", max_length=30, index=True)
    reason: str = Field(max_length=4000)
    goal: str = Field(max_length=4000)
    #: the reason and goal are personal data like any item: a category and a source
    #: organisation (the referrer's), decided by the sharing engine
    reason_category: str = Field(default="risicosignalen", max_length=40)
    goal_category: str = Field(default="hulpverlening", max_length=40)
    source_organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    urgency: str = Field(default="normaal", max_length=10)
    is_repeat: bool = False
    previous_case_id: int | None = Field(default=None, foreign_key="case.id")
    opened_at: datetime
    closed_at: datetime | None = Field(default=None, index=True)
    purged_at: datetime | None = None

    members: list["CaseMember"] = Relationship(back_populates="case")
    organisations: list["CaseOrganisation"] = Relationship(back_populates="case")
    persons: list["Person"] = Relationship(back_populates="case")

    @property
    def phase_name(self) -> str:
        return PHASES.get(self.phase, self.phase)

    @property
    def urgency_name(self) -> str:
        return URGENCIES.get(self.urgency, self.urgency)


class CircleRow(SQLModel):
    """What the circle keeps of each organisation and professional in it: when and by whom they were added,
    and when removed (the row stays, so the history of who could see the case stays). Not a table itself."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    added_at: datetime
    added_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    removed_at: datetime | None = None


def _circle_table_args(who: str, index_name: str) -> tuple:
    """One row per case and *who*, and an index of *who*'s current cases (newest first from the index alone,
    without sorting all of them: sharing.visible_case_ids)."""
    return (
        UniqueConstraint("case_id", who),
        Index(index_name, who, "case_id",
              postgresql_where=text("removed_at IS NULL"), sqlite_where=text("removed_at IS NULL")),
    )


class CaseOrganisation(CircleRow, table=True):
    """An organisation in the circle of a case."""

    __tablename__ = "case_organisation"
    __table_args__ = _circle_table_args("organisation_id", "ix_case_organisation_active_by_org")

    organisation_id: int = Field(foreign_key="organisation.id", index=True)

    case: Case = Relationship(back_populates="organisations")


class CaseMember(CircleRow, table=True):
    """A professional in the circle of a case (their organisation must be in the circle)."""

    __tablename__ = "case_member"
    __table_args__ = _circle_table_args("user_id", "ix_case_member_active_by_user")

    user_id: int = Field(foreign_key="app_user.id", index=True)

    case: Case = Relationship(back_populates="members")


class PersonLabels:
    """How a person (of a case or of a referral) is named on pages: the role in Dutch and the masked BSN."""

    @property
    def role_name(self) -> str:
        return PERSON_ROLES.get(self.role, self.role)

    @property
    def bsn_masked(self) -> str:
        """The BSN with all but the last three digits hidden."""
        return ("•" * 6 + self.bsn[-3:]) if self.bsn else ""


class Person(PersonLabels, SQLModel, table=True):
    """A person concerned by a case. Name, birth date, BSN and address are personal data."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    role: str = Field(max_length=30)
    name: str = Field(max_length=200)
    date_of_birth: date | None = None
    bsn: str | None = Field(default=None, max_length=9, index=True)
    address: str = Field(default="", max_length=500)
    #: the organisation that registered the person (source of the person's own data)
    source_organisation_id: int = Field(foreign_key="organisation.id")
    destroyed_at: datetime | None = None

    case: Case = Relationship(back_populates="persons")


class Item(SQLModel, table=True):
    """One item of the minimal data set: a category, content, its source and the persons concerned."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    category: str = Field(max_length=40, index=True)
    content: str = Field(max_length=8000)
    source_organisation_id: int = Field(foreign_key="organisation.id", index=True)
    author_id: int | None = Field(default=None, foreign_key="app_user.id")
    recorded_on: date
    created_at: datetime
    destroyed_at: datetime | None = None


class ItemPerson(SQLModel, table=True):
    """Which persons an item is about."""

    __tablename__ = "item_person"

    item_id: int = Field(foreign_key="item.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)


class Consent(SQLModel, table=True):
    """Consent of a person (or their legal representative) to share categories with recipients."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    given_by: str = Field(max_length=200)  # "betrokkene zelf" or the legal representative
    purpose: str = Field(max_length=1000)
    method: str = Field(max_length=20)  # mondeling | schriftelijk
    #: space-separated category codes
    categories_text: str = Field(max_length=1000)
    recorded_by_id: int = Field(foreign_key="app_user.id")
    given_on: date
    valid_until: date | None = None
    withdrawn_at: datetime | None = None
    withdrawn_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    withdrawal_reason: str = Field(default="", max_length=1000)
    created_at: datetime

    @property
    def category_codes(self) -> frozenset[str]:
        return frozenset(self.categories_text.split())


class ConsentRecipient(SQLModel, table=True):
    """A recipient organisation named in a consent."""

    __tablename__ = "consent_recipient"

    consent_id: int = Field(foreign_key="consent.id", primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)


class DutyConflictDecision(SQLModel, table=True):
    """A case-level decision to share without consent under *conflict van plichten*."""

    __tablename__ = "duty_conflict_decision"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")  # the recipient
    category: str = Field(max_length=40)
    person_id: int | None = Field(default=None, foreign_key="person.id")  # None: every person
    decided_by_id: int = Field(foreign_key="app_user.id")
    reason: str = Field(max_length=2000)
    decided_at: datetime
    valid_until: date | None = None
    revoked_at: datetime | None = None


class BreakGlass(SQLModel, table=True):
    """A professional opened a withheld item in acute danger, with a reason (time-limited)."""

    __tablename__ = "break_glass"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    reason: str = Field(max_length=2000)
    opened_at: datetime
    expires_at: datetime
    reviewed_at: datetime | None = None
    reviewed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    #: the privacy officer's judgement: "terecht" | "onterecht" (None: not yet reviewed)
    judgement: str | None = Field(default=None, max_length=20)
    review_comment: str = Field(default="", max_length=2000)
    #: what was done about an unjustified opening (conversation, report to the organisation, ...)
    follow_up: str = Field(default="", max_length=2000)
    followed_up_at: datetime | None = None


#: States of a referral (aanmelding), code -> Dutch name.
REFERRAL_STATUSES: dict[str, str] = {
    "open": "Wacht op triage",
    "geaccepteerd": "Geaccepteerd",
    "afgewezen": "Afgewezen",
}


class Referral(SQLModel, table=True):
    """A request for MDA++ for a household (aanmelding), waiting for the coordinator's triage.

    The persons named in it are personal data: only the requester and the coordinators of
    the region see them, and they are blanked once the referral is decided (accepted: they
    move into the case; declined: they are no longer needed).
    """

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, index=True, max_length=20)
    region_id: int = Field(foreign_key="region.id", index=True)
    requested_by_id: int = Field(foreign_key="app_user.id", index=True)
    requester_organisation_id: int = Field(foreign_key="organisation.id")
    reason: str = Field(max_length=4000)
    goal: str = Field(max_length=4000)
    urgency: str = Field(default="normaal", max_length=10)
    status: str = Field(default="open", max_length=20, index=True)
    submitted_at: datetime
    known_checked_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    decline_reason: str = Field(default="", max_length=2000)
    case_id: int | None = Field(default=None, foreign_key="case.id")

    @property
    def status_name(self) -> str:
        return REFERRAL_STATUSES.get(self.status, self.status)

    @property
    def urgency_name(self) -> str:
        return URGENCIES.get(self.urgency, self.urgency)


class ReferralPerson(PersonLabels, SQLModel, table=True):
    """A person named in a referral (copied into the case on acceptance)."""

    __tablename__ = "referral_person"

    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referral.id", index=True)
    role: str = Field(max_length=30)
    name: str = Field(default="", max_length=200)
    date_of_birth: date | None = None
    bsn: str | None = Field(default=None, max_length=9)
    address: str = Field(default="", max_length=500)
    cleared_at: datetime | None = None


class ReferralOrganisation(SQLModel, table=True):
    """A partner organisation the requester proposes to involve."""

    __tablename__ = "referral_organisation"

    referral_id: int = Field(foreign_key="referral.id", primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
