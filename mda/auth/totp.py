"""Two-factor authentication with TOTP (RFC 6238) and recovery codes."""

from __future__ import annotations

import hmac
import io
import secrets
import time
from datetime import UTC, datetime

import pyotp
import segno

ISSUER = "MDA++"


def new_secret() -> str:
    """A fresh base32 TOTP secret."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code for *uri* as inline SVG, rendered on the server (no external service)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, xmldecl=False, svgns=True,
                                    title="QR-code voor uw authenticator-app")
    return buffer.getvalue().decode()


def matching_step(secret: str | None, code: str, after_step: int = 0) -> int | None:
    """The time step at which *code* is valid now (one step of drift allowed), or None.

    Steps at or before *after_step* are refused, so a code cannot be replayed.
    """
    if not secret:
        return None
    code = code.replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time())  # real clock: the authenticator app on the phone keeps the real time
    for offset in (0, -1, 1):
        moment = now + offset * totp.interval
        step = totp.timecode(datetime.fromtimestamp(moment, UTC))
        if step > after_step and hmac.compare_digest(totp.at(moment), code):
            return step
    return None


def new_recovery_codes(count: int = 10) -> list[str]:
    """Human-friendly one-time recovery codes (shown once, stored hashed)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return [
        "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
        for _ in range(count)
    ]
