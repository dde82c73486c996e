"""Personal calendar subscriptions: a secret token in the URL, revocable and renewable.

Only the SHA-256 of the token is stored, so the full address is shown once, right after
it is made; renewing makes a new address and the old one stops working at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session, select

from mda.auth import passwords
from mda.auth.models import User
from mda.core import audit, mail
from mda.core.timeutil import utcnow
from mda.meetings.models import CalendarFeed

if TYPE_CHECKING:
    from mda.auth.models import User

#: reminder choices offered (minutes before the start); at most three may be chosen
REMINDER_CHOICES: dict[int, str] = {
    0: "Bij aanvang", 5: "5 minuten", 15: "15 minuten", 30: "30 minuten", 60: "1 uur",
    120: "2 uur", 1440: "1 dag", 2880: "2 dagen",
}
MAX_REMINDERS = 3


class FeedError(ValueError):
    """A feed setting that cannot be saved."""


def feed_of(db: Session, user: User) -> CalendarFeed:
    """The user's feed settings (created with defaults on first use, not yet with a token)."""
    feed = db.exec(select(CalendarFeed).where(CalendarFeed.user_id == user.id)).first()
    if feed is None:
        feed = CalendarFeed(user_id=user.id, updated_at=utcnow())
        db.add(feed)
        db.flush()
    return feed


def reminders_of(db: Session, user: User) -> list[int]:
    """The user's reminder choices (default: 15 minutes), also used in downloads and e-mails."""
    feed = db.exec(select(CalendarFeed).where(CalendarFeed.user_id == user.id)).first()
    return feed.reminder_minutes if feed else [15]


def feed_url(token: str) -> str:
    """The full subscription address for *token*."""
    return mail.public_url("meetings.feed", token=token)


def renew_token(db: Session, user: User) -> str:
    """Make a new secret address (the previous one stops working); returns the token once."""
    feed = feed_of(db, user)
    token, digest = passwords.new_token()
    renewed = feed.token_hash is not None
    feed.token_hash, feed.token_created_at, feed.updated_at = digest, utcnow(), utcnow()
    db.add(feed)
    db.flush()
    audit.record(db, "update" if renewed else "create", user=user, object_type="calendar_feed",
                 object_id=feed.id, summary="agenda-abonnement vernieuwd" if renewed else "agenda-abonnement gemaakt")
    return token


def revoke_token(db: Session, user: User) -> None:
    """Stop the secret address; the feed answers 404 from now on."""
    feed = feed_of(db, user)
    if feed.token_hash is None:
        raise FeedError("Er is geen actief agenda-abonnement om in te trekken.")
    feed.token_hash, feed.updated_at = None, utcnow()
    db.add(feed)
    db.flush()
    audit.record(db, "update", user=user, object_type="calendar_feed", object_id=feed.id,
                 summary="agenda-abonnement ingetrokken")


def end_feed_of_account(user: User, *, db: Session, why: str) -> None:
    """The account's credentials ended (password changed or reset, account (de)activated): its secret feed
    address stops working; the user makes a new one after logging in. Connected to
    :data:`mda.core.signals.account_credentials_ended`."""
    feed = db.exec(select(CalendarFeed).where(CalendarFeed.user_id == user.id)).first()
    if feed is None or feed.token_hash is None:
        return
    feed.token_hash, feed.updated_at = None, utcnow()
    db.add(feed)
    db.flush()
    audit.record(db, "update", user=user, object_type="calendar_feed", object_id=feed.id,
                 summary=f"agenda-abonnement ingetrokken ({why})")


def set_reminders(db: Session, user: User, minutes: list[int]) -> None:
    """Choose up to three reminders (minutes before the start); an empty list means none."""
    chosen = sorted({int(m) for m in minutes})
    if any(m not in REMINDER_CHOICES for m in chosen):
        raise FeedError("Kies herinneringen uit de lijst.")
    if len(chosen) > MAX_REMINDERS:
        raise FeedError(f"Kies hoogstens {MAX_REMINDERS} herinneringen.")
    feed = feed_of(db, user)
    feed.reminders, feed.updated_at = ",".join(str(m) for m in chosen), utcnow()
    db.add(feed)
    db.flush()
    audit.record(db, "update", user=user, object_type="calendar_feed", object_id=feed.id,
                 summary=f"herinneringen ingesteld: {feed.reminders or 'geen'}")


def user_for_token(db: Session, token: str) -> tuple[User, CalendarFeed] | None:
    """The active user and feed of a secret address, or None (revoked, unknown, deactivated)."""
    if not token or len(token) > 100:
        return None
    feed = db.exec(select(CalendarFeed).where(CalendarFeed.token_hash == passwords.token_digest(token))).first()
    if feed is None:
        return None
    user = db.get(User, feed.user_id)
    if user is None or not user.active:
        return None
    return user, feed
