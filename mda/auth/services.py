"""Logging in, second factor, passwords and account administration.

Services change data and write the audit row in the same unit of work; they
``flush()`` and never commit (the request does, once).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlmodel import Session, func, select

from mda.auth import passwords, totp
from mda.auth.models import ROLES, AccountToken, ApiToken, RecoveryCode, User
from mda.core import audit, mail
from mda.core.errors import ServiceError  # noqa: F401  (re-exported: features import it from here)
from mda.core.permissions import PERSONAL_DATA_ROLES
from mda.core.signals import account_credentials_ended, account_moved
from mda.core.timeutil import as_utc, utcnow

INVITE_VALID = timedelta(days=3)
RESET_VALID = timedelta(hours=4)


@dataclass
class LoginResult:
    """The outcome of checking a password."""

    user: User | None
    needs_second_factor: bool = False
    needs_enrolment: bool = False


def find_user_by_email(db: Session, email: str) -> User | None:
    """The account with this e-mail address (case-insensitive), if any."""
    return db.exec(select(User).where(func.lower(User.email) == email.strip().lower())).first()


def authenticate(db: Session, email: str, password: str) -> LoginResult:
    """Check e-mail and password, with lockout after repeated failures.

    Unknown user, wrong password, deactivated and locked accounts give the same
    answer to the caller; only the audit trail says which it was.
    """
    if "\x00" in email or "\x00" in password:
        # PostgreSQL refuses NUL in text: record the attempt (NUL made visible) without a lookup
        audit.record(db, "login_failed", user_name=email.replace("\x00", "\\0").strip()[:254],
                     object_type="user", outcome="failure", summary="ongeldig teken (NUL) in inlogpoging")
        db.flush()
        return LoginResult(None)
    user = find_user_by_email(db, email)
    now = utcnow()
    locked = user is not None and user.locked_until and as_utc(user.locked_until) > now
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not user.active or locked or not ok:
        reason = (
            "onbekend account" if user is None
            else "account gedeactiveerd" if not user.active
            else "account tijdelijk geblokkeerd" if locked
            else "onjuist wachtwoord"
        )
        if user is not None and not locked and not ok:
            if _count_failure(user):
                reason += "; account tijdelijk geblokkeerd"
            db.add(user)
        audit.record(
            db, "login_failed", user=user, user_name=email.strip()[:254],
            object_type="user", object_id=getattr(user, "id", ""),
            outcome="failure", summary=reason,
        )
        # a failed attempt must be stored although the request shows an error
        db.flush()
        return LoginResult(None)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    db.add(user)
    # the failure counter is reset by complete_login, after every factor: a right password
    # must not wipe the count of wrong second-factor codes
    if user.totp_enabled:
        return LoginResult(user, needs_second_factor=True)
    if requires_second_factor(user):
        return LoginResult(user, needs_enrolment=True)
    return LoginResult(user)


def requires_second_factor(user: User) -> bool:
    """Whether *user* must use 2FA: every role that sees personal data, and admins.

    ``MDA_INSECURE_DEMO_SKIP_2FA`` lifts this for demo accounts only.
    """
    if user.is_demo and current_app.config["INSECURE_DEMO_SKIP_2FA"]:
        return False
    return bool(user.roles & (PERSONAL_DATA_ROLES | {"admin"}))


def complete_login(db: Session, user: User, method: str) -> None:
    """Record a successful login (after every required factor)."""
    user.last_login_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    db.add(user)
    audit.record(db, "login", user=user, object_type="user", object_id=user.id,
                 summary=f"ingelogd ({method})")


def logout(db: Session, user: User) -> None:
    """End every session of *user* and record it."""
    user.session_version += 1
    db.add(user)
    audit.record(db, "logout", user=user, object_type="user", object_id=user.id)


def is_locked(user: User) -> bool:
    """Whether *user* is in a lockout after repeated wrong passwords or codes."""
    return bool(user.locked_until and as_utc(user.locked_until) > utcnow())


def _count_failure(user: User) -> bool:
    """Count a wrong password or code; lock the account at the limit. Returns whether it locked."""
    cfg = current_app.config
    user.failed_logins += 1
    if user.failed_logins >= cfg["LOGIN_MAX_FAILURES"]:
        user.locked_until = utcnow() + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
        user.failed_logins = 0
        return True
    return False


def verify_second_factor(db: Session, user: User, code: str) -> str | None:
    """Check a TOTP or recovery code; return the method used, or None.

    Wrong codes count toward the same lockout as wrong passwords, and a locked account is
    refused whatever the code.
    """
    if is_locked(user):
        audit.record(db, "login_failed", user=user, object_type="user", object_id=user.id,
                     outcome="failure", summary="tweede factor geweigerd: account tijdelijk geblokkeerd")
        db.flush()
        return None
    step = totp.matching_step(user.totp_secret, code, after_step=user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        db.add(user)
        return "wachtwoord + authenticator"
    normalised = code.strip().lower()
    if len(normalised) == 14:
        for rc in db.exec(
            select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                       RecoveryCode.used_at.is_(None))
        ):
            if passwords.verify_password(rc.code_hash, normalised):
                rc.used_at = utcnow()
                db.add(rc)
                return "wachtwoord + herstelcode"
    locked = _count_failure(user)
    db.add(user)
    audit.record(db, "login_failed", user=user, object_type="user", object_id=user.id, outcome="failure",
                 summary="onjuiste tweede factor" + ("; account tijdelijk geblokkeerd" if locked else ""))
    db.flush()
    return None


def start_enrolment(db: Session, user: User) -> str:
    """A new TOTP secret for *user* to confirm; kept encrypted as pending until confirmed."""
    user.totp_pending_secret = totp.new_secret()
    db.add(user)
    db.flush()
    return user.totp_pending_secret


def confirm_enrolment(db: Session, user: User, code: str) -> list[str]:
    """Make the pending secret the user's once they proved the app works; return new recovery codes."""
    secret = user.totp_pending_secret
    step = totp.matching_step(secret, code)
    if step is None:
        raise ServiceError("De code klopt niet. Controleer de tijd op uw telefoon en probeer opnieuw.", field="code")
    user.totp_secret = secret
    user.totp_pending_secret = None
    user.totp_enabled = True
    user.totp_last_step = step
    db.add(user)
    codes = replace_recovery_codes(db, user)
    audit.record(db, "update", user=user, object_type="user", object_id=user.id,
                 summary="tweestapsverificatie ingesteld")
    return codes


def replace_recovery_codes(db: Session, user: User) -> list[str]:
    """Invalidate old recovery codes and return ten new ones (shown once)."""
    for old in db.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        db.delete(old)
    codes = totp.new_recovery_codes()
    for code in codes:
        db.add(RecoveryCode(user_id=user.id, code_hash=passwords.hash_password(code)))
    db.flush()
    return codes


def change_password(db: Session, user: User, current: str, new: str) -> None:
    """Change the user's own password (requires the current one)."""
    if not passwords.verify_password(user.password_hash, current):
        raise ServiceError("Het huidige wachtwoord klopt niet.", field="current")
    _set_password(db, user, new)
    audit.record(db, "update", user=user, object_type="user", object_id=user.id,
                 summary="wachtwoord gewijzigd")


def revoke_all_api_tokens(db: Session, user: User, why: str) -> int:
    """Revoke every live API token of *user* (as their sessions end); returns how many."""
    now = utcnow()
    tokens = db.exec(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    for token in tokens:
        token.revoked_at = now
        db.add(token)
    if tokens:
        audit.record(db, "update", user=user, object_type="user", object_id=user.id,
                     summary=f"{len(tokens)} API-token(s) ingetrokken ({why})")
    return len(tokens)


def end_account_credentials(db: Session, user: User, why: str) -> None:
    """End everything that lets someone act as *user* without logging in again: the sessions (and with them
    the live sockets, which check the session version), the API tokens, and whatever other features handed
    out (the calendar feed's secret address), through :data:`mda.core.signals.account_credentials_ended`."""
    user.session_version += 1
    db.add(user)
    revoke_all_api_tokens(db, user, why)
    account_credentials_ended.send(user, db=db, why=why)


def _set_password(db: Session, user: User, new: str) -> None:
    problem = passwords.password_problem(new, [user.email, user.name, "mda", "veilig thuis"])
    if problem:
        raise ServiceError(problem, field="password")
    user.password_hash = passwords.hash_password(new)
    user.failed_logins = 0
    user.locked_until = None
    end_account_credentials(db, user, "wachtwoord gewijzigd")  # other sessions end, and so do tokens and feeds


def redeem_account_token(db: Session, token: str, new_password: str | None = None) -> User:
    """Check a set-password link; with *new_password*, set it and use up the link."""
    row = db.exec(
        select(AccountToken).where(AccountToken.token_hash == passwords.token_digest(token))
    ).first()
    if row is None or row.used_at is not None or as_utc(row.expires_at) < utcnow():
        raise ServiceError("Deze link is verlopen of al gebruikt. Vraag de beheerder om een nieuwe.", status=404)
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        raise ServiceError("Deze link is verlopen of al gebruikt. Vraag de beheerder om een nieuwe.", status=404)
    if new_password is None:
        return user
    _set_password(db, user, new_password)
    row.used_at = utcnow()
    db.add(row)
    audit.record(db, "update", user=user, object_type="user", object_id=user.id,
                 summary=f"wachtwoord ingesteld via {row.purpose}-link")
    return user


def _send_account_link(db: Session, user: User, purpose: str) -> None:
    for old in db.exec(select(AccountToken).where(AccountToken.user_id == user.id,
                                                  AccountToken.used_at.is_(None))):
        old.used_at = utcnow()
        db.add(old)
    token, digest = passwords.new_token()
    valid = INVITE_VALID if purpose == "invite" else RESET_VALID
    db.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=digest,
                        expires_at=utcnow() + valid))
    link = mail.public_url("auth.set_password", token=token)
    if purpose == "invite":
        subject = "Uitnodiging voor MDA++"
        body = (f"Beste {user.name},\n\nU heeft een account gekregen op het MDA++-platform.\n"
                f"Stel binnen 3 dagen uw wachtwoord in via deze eenmalige link:\n\n{link}\n\n"
                "Daarna stelt u tweestapsverificatie in met een authenticator-app.\n")
    else:
        subject = "Nieuw wachtwoord instellen voor MDA++"
        body = (f"Beste {user.name},\n\nDe beheerder heeft uw wachtwoord gereset.\n"
                f"Stel binnen 4 uur een nieuw wachtwoord in via deze eenmalige link:\n\n{link}\n")
    mail.send([user.email], subject, body)


def invite_user(db: Session, admin: User, *, email: str, name: str, organisation_id: int,
                roles: list[str]) -> User:
    """Create an account and mail a one-time set-password link."""
    if find_user_by_email(db, email):
        raise ServiceError("Er bestaat al een account met dit e-mailadres.", field="email")
    if not roles or set(roles) - set(ROLES):
        raise ServiceError("Kies minstens één geldige rol.")
    check_separation_of_duties(admin, None, roles, organisation_id)
    user = User(email=email.strip().lower(), name=name.strip(), organisation_id=organisation_id,
                created_at=utcnow())
    user.roles = roles
    db.add(user)
    db.flush()
    _send_account_link(db, user, "invite")
    audit.record(db, "create", user=admin, object_type="user", object_id=user.id,
                 summary=f"account aangemaakt voor {user.email} met rollen {user.roles_text}")
    return user


def check_separation_of_duties(admin: User, user: User | None, roles: list[str], organisation_id: int) -> None:
    """Administrators manage accounts; they do not read cases. Refuse what would blur that.

    - an account is either an administrator's or one that sees case data, never both;
    - an administrator cannot change their own roles or organisation (another admin does,
      so a second person is always involved in widening an admin's rights).
    """
    roles_set = set(roles)
    if "admin" in roles_set and roles_set & PERSONAL_DATA_ROLES:
        raise ServiceError("Een beheerdersaccount kan geen rol hebben die casusgegevens of de audittrail opent "
                           "(procesregisseur, professional, teamleider, privacyfunctionaris). Wie beide taken "
                           "heeft, krijgt twee accounts.")
    if user is not None and user.id == admin.id and (roles_set != set(user.roles)
                                                     or organisation_id != user.organisation_id):
        raise ServiceError("U kunt uw eigen rollen en organisatie niet wijzigen; dat doet een andere beheerder.")


def update_user(db: Session, admin: User, user: User, *, name: str, organisation_id: int,
                roles: list[str]) -> None:
    """Change name, organisation or roles of an account (within the separation of duties)."""
    if not roles or set(roles) - set(ROLES):
        raise ServiceError("Kies minstens één geldige rol.")
    if user.id == admin.id and "admin" not in roles:
        raise ServiceError("U kunt uw eigen beheerdersrol niet intrekken.")
    check_separation_of_duties(admin, user, roles, organisation_id)
    before = f"{user.name}/{user.organisation_id}/{user.roles_text}"
    rights_changed = set(roles) != set(user.roles) or organisation_id != user.organisation_id
    moved = organisation_id != user.organisation_id
    user.name, user.organisation_id = name.strip(), organisation_id
    user.roles = roles
    user.session_version += 1  # new rights take effect at the next login
    db.add(user)
    if rights_changed:
        revoke_all_api_tokens(db, user, "rollen of organisatie gewijzigd")
    audit.record(db, "update", user=admin, object_type="user", object_id=user.id,
                 summary=f"account gewijzigd: {before} -> {user.name}/{organisation_id}/{user.roles_text}")
    if moved:  # named in circles of the old organisation's cases: those close to the account now
        db.flush()
        for provider in account_moved:
            provider(db, admin, user)


def set_active(db: Session, admin: User, user: User, active: bool) -> None:
    """Deactivate (ending every session at once) or reactivate an account."""
    if user.id == admin.id and not active:
        raise ServiceError("U kunt uw eigen account niet deactiveren.")
    user.active = active
    # reactivation ends them too: a secret made before the deactivation must not come back to life with the account
    end_account_credentials(db, user, "account gedeactiveerd" if not active else "account opnieuw geactiveerd")
    audit.record(db, "update", user=admin, object_type="user", object_id=user.id,
                 summary="account geactiveerd" if active else "account gedeactiveerd")


def reset_account(db: Session, admin: User, user: User) -> None:
    """Clear password and second factor and mail a new set-password link."""
    user.password_hash = None
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_pending_secret = None
    user.failed_logins = 0
    user.locked_until = None
    for rc in db.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        db.delete(rc)
    end_account_credentials(db, user, "account gereset")
    _send_account_link(db, user, "reset")
    audit.record(db, "update", user=admin, object_type="user", object_id=user.id,
                 summary="account gereset (wachtwoord en tweestapsverificatie)")


def create_api_token(db: Session, user: User, label: str) -> str:
    """Create a personal API token; the full token is returned once, only its hash is kept."""
    label = label.strip()
    if not label:
        raise ServiceError("Geef de API-sleutel een naam, zodat u hem later herkent.", field="label")
    import secrets

    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    db.add(ApiToken(user_id=user.id, label=label[:100], prefix=prefix,
                    token_hash=passwords.token_digest(secret), created_at=utcnow()))
    audit.record(db, "create", user=user, object_type="api_token", object_id=prefix,
                 summary=f"API-token '{label[:100]}' aangemaakt")
    return f"mda_{prefix}_{secret}"


def revoke_api_token(db: Session, user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens."""
    token = db.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise ServiceError("Deze API-sleutel bestaat niet (meer).", status=404)
    token.revoked_at = utcnow()
    db.add(token)
    audit.record(db, "update", user=user, object_type="api_token", object_id=token.prefix,
                 summary=f"API-token '{token.label}' ingetrokken")


#: the account page shows when a token was last used to the minute: a call within a minute of the last one
#: stored does not write it again (one UPDATE per token per minute, not one per API call)
TOKEN_USE_GRANULARITY = timedelta(minutes=1)


@functools.cache
def _token_and_user():
    """The token with its (active) user in one statement, built once per process (only the prefix changes); the
    2FA seeds are not read, as for a session's user."""
    from sqlalchemy import bindparam
    from sqlalchemy.orm import defer

    return (select(User, ApiToken.id, ApiToken.token_hash, ApiToken.last_used_at)
            .options(defer(User.totp_secret), defer(User.totp_pending_secret))
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.prefix == bindparam("prefix"), ApiToken.revoked_at.is_(None), User.active.is_(True)))


def user_for_api_token(db: Session, raw: str) -> User | None:
    """The active user behind a bearer token, or None (revoked, unknown, malformed): one statement reads the
    token and its user; the time of use is written at most once a minute (:data:`TOKEN_USE_GRANULARITY`)."""
    import hmac

    from sqlalchemy import update

    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != "mda":
        return None
    row = db.exec(_token_and_user(), params={"prefix": parts[1]}).first()
    if row is None:
        return None
    user, token_id, token_hash, last_used_at = row
    if not hmac.compare_digest(token_hash, passwords.token_digest(parts[2])):
        return None
    now = utcnow()
    if last_used_at is None or now - as_utc(last_used_at) >= TOKEN_USE_GRANULARITY:
        db.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    return user
