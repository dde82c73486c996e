"""Password hashing (Argon2id) and the password policy."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
_hasher = PasswordHasher()  # argon2-cffi defaults: Argon2id, RFC 9106 low-memory profile
_DUMMY_HASH = _hasher.hash("dummy password for timing equalisation")


def hash_password(password: str) -> str:
    """Hash *password* with Argon2id."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check *password*; costs the same time when there is no stored hash."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored_hash)


def password_problem(password: str, user_inputs: list[str] = ()) -> str | None:
    """A Dutch explanation of why *password* is not acceptable, or None.

    Length first (ASVS: at least 12), then zxcvbn, whose dictionaries hold the
    commonly used and leaked passwords, names and keyboard patterns.
    """
    if len(password) < MIN_LENGTH:
        return f"Het wachtwoord moet minstens {MIN_LENGTH} tekens lang zijn."
    if len(password) > 200:
        return "Het wachtwoord mag hoogstens 200 tekens lang zijn."
    result = zxcvbn(password[:100], user_inputs=[u for u in user_inputs if u])
    if result["score"] < 3:
        return (
            "Dit wachtwoord is te makkelijk te raden (het lijkt op een veelgebruikt "
            "wachtwoord, een naam of een toetsenbordpatroon). Kies een langere zin of "
            "een combinatie van losse woorden."
        )
    return None


def new_token() -> tuple[str, str]:
    """A random URL-safe token and its SHA-256 (what is stored)."""
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    """SHA-256 of a high-entropy token (no salt needed: tokens are random)."""
    return hashlib.sha256(token.encode()).hexdigest()
