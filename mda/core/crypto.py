"""Encryption at rest for the few secrets the server must be able to read back (TOTP seeds).

Fernet (AES-128-CBC with HMAC-SHA256, from the well-kept ``cryptography`` package) with a
:class:`~cryptography.fernet.MultiFernet` key ring from ``MDA_TOTP_KEYS``: the first key
encrypts, every key decrypts. Rotation: put a new key first, restart, run
``flask --app mda rotate-totp-key``, then remove the old key (README, Security).

The key ring is process-wide (set by :func:`mda.create_app`) because a column type has no
application at hand; every application of one deployment uses the same keys.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

_ring: MultiFernet | None = None


class KeyError_(RuntimeError):
    """No key ring is configured, or a stored value cannot be decrypted with it."""


def configure(keys: list[str]) -> None:
    """Use *keys* (Fernet keys, newest first) from now on."""
    global _ring
    _ring = MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def new_key() -> str:
    """A fresh Fernet key (url-safe base64, 44 characters)."""
    return Fernet.generate_key().decode()


def _keys() -> MultiFernet:
    if _ring is None:
        raise KeyError_("no encryption key configured (MDA_TOTP_KEYS)")
    return _ring


def encrypt(text: str) -> str:
    """*text* encrypted with the newest key."""
    return _keys().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """The plain text of *token*, with whichever key of the ring encrypted it."""
    try:
        return _keys().decrypt(token.encode()).decode()
    except InvalidToken:
        raise KeyError_("stored secret cannot be decrypted with any configured key") from None


def rotate(token: str) -> str:
    """*token* re-encrypted with the newest key."""
    return _keys().rotate(token.encode()).decode()


class EncryptedText(TypeDecorator):
    """A string column stored Fernet-encrypted; Python code sees the plain text."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)
