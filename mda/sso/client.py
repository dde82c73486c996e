"""The OpenID Connect relying party: discovery, the authorization request, the code exchange and the ID token.

Authlib builds the authorization request (PKCE S256, state, nonce) and exchanges the code; joserfc (Authlib's
JOSE library) verifies the ID token's signature and claims. Discovery metadata is cached per issuer for
:data:`METADATA_TTL`; the key set per issuer until a token names a key id it does not hold, when it is fetched
once more (the IdP rotated its keys). Every failure is an :class:`SsoError` with a reason for the audit trail
and a Dutch message for the user; no token or code ever goes into either.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet

#: how long discovery metadata is trusted before it is fetched again (seconds)
METADATA_TTL = 3600
#: the ID token's signature algorithms we accept (never "none", never HMAC with the client secret)
ALGORITHMS = ["RS256", "PS256", "ES256"]
HTTP_TIMEOUT = 10
#: RFC 8176 methods; "mfa" says it outright, two different methods of this set say it too
AMR_METHODS = frozenset({"pwd", "pin", "otp", "hwk", "swk", "sc", "sms", "tel", "fpt", "face", "iris", "retina",
                         "vbm", "kba", "user", "geo", "wia", "rba", "mca", "bio"})


class SsoError(Exception):
    """A login through an IdP that cannot go on; *reason* goes into the audit trail, *message* to the user."""

    def __init__(self, reason: str, message: str, status: int = 403):
        super().__init__(reason)
        self.reason, self.message, self.status = reason, message, status


IDP_DOWN = ("De inlogdienst van uw organisatie is nu niet bereikbaar. Probeer het over enkele minuten opnieuw; "
            "blijft het misgaan, neem dan contact op met de ICT-afdeling van uw organisatie.")
BAD_ANSWER = ("Het antwoord van de inlogdienst van uw organisatie kon niet worden gecontroleerd. U bent niet "
              "ingelogd. Begin opnieuw bij de inlogpagina.")


@dataclass
class AuthRequest:
    """What the browser is sent to the IdP with, and what must come back."""

    url: str
    state: str
    nonce: str
    code_verifier: str


_lock = threading.Lock()
_metadata: dict[str, tuple[float, dict]] = {}
_keys: dict[str, KeySet] = {}


def forget_cache() -> None:
    """Drop every cached metadata document and key set (tests; an administrator changing a provider)."""
    with _lock:
        _metadata.clear()
        _keys.clear()


def _get_json(url: str) -> dict:
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError):
        raise SsoError("inlogdienst niet bereikbaar", IDP_DOWN, 503) from None


def metadata(issuer: str) -> dict:
    """The IdP's discovery document (cached); its ``issuer`` must be exactly the configured one."""
    with _lock:
        cached = _metadata.get(issuer)
    if cached and time.monotonic() - cached[0] < METADATA_TTL:
        return cached[1]
    doc = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    if doc.get("issuer") != issuer or not all(doc.get(k) for k in ("authorization_endpoint", "token_endpoint",
                                                                     "jwks_uri")):
        raise SsoError("discovery: issuer of endpoints kloppen niet", IDP_DOWN, 503)
    with _lock:
        _metadata[issuer] = (time.monotonic(), doc)
    return doc


def _key_set(issuer: str, *, refresh: bool = False) -> KeySet:
    with _lock:
        keys = None if refresh else _keys.get(issuer)
    if keys is None:
        try:
            keys = KeySet.import_key_set(_get_json(metadata(issuer)["jwks_uri"]))
        except JoseError:
            raise SsoError("sleutelset van de inlogdienst onleesbaar", IDP_DOWN, 503) from None
        with _lock:
            _keys[issuer] = keys
    return keys


def _session(client_id: str, client_secret: str, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(client_id, client_secret, scope="openid email profile", redirect_uri=redirect_uri,
                         code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic")  # noqa: S106 (a method name)


def authorization_request(issuer: str, client_id: str, redirect_uri: str) -> AuthRequest:
    """The IdP's authorization URL for a new login, with fresh state, nonce and PKCE verifier."""
    endpoint = metadata(issuer)["authorization_endpoint"]
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    url, _ = _session(client_id, "", redirect_uri).create_authorization_url(
        endpoint, state=state, code_verifier=verifier, nonce=nonce)
    return AuthRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)


def exchange_code(issuer: str, client_id: str, client_secret: str, redirect_uri: str, code: str,
                  code_verifier: str) -> str:
    """Exchange the authorization code for tokens at the IdP; returns the raw ID token."""
    endpoint = metadata(issuer)["token_endpoint"]
    try:
        token = _session(client_id, client_secret, redirect_uri).fetch_token(
            endpoint, code=code, code_verifier=code_verifier, grant_type="authorization_code", timeout=HTTP_TIMEOUT)
    except requests.RequestException:
        raise SsoError("inlogdienst niet bereikbaar (tokenverzoek)", IDP_DOWN, 503) from None
    except Exception as exc:  # authlib's OAuthError: invalid_grant (a replayed or expired code) and kin
        raise SsoError(f"code geweigerd door de inlogdienst ({getattr(exc, 'error', 'fout')})", BAD_ANSWER) from None
    id_token = token.get("id_token")
    if not id_token:
        raise SsoError("geen ID-token ontvangen", BAD_ANSWER)
    return id_token


def _decode(issuer: str, token: str) -> jwt.Token:
    """*token* with its signature verified by the IdP's keys; a key id the cached set lacks fetches the set once
    more (a rotation at the IdP), anything else does not (a forged token must not make us fetch)."""
    keys = _key_set(issuer)
    header = _segment(token, 0)
    kid = header.get("kid") if header else None
    if isinstance(kid, str) and kid not in {key.kid for key in keys.keys}:
        keys = _key_set(issuer, refresh=True)
    return jwt.decode(token, keys, algorithms=ALGORITHMS)


def _segment(token: str, index: int) -> dict | None:
    """The JSON of one part of a compact JWT (header 0, claims 1), unverified; None when it is not one."""
    import base64
    import json

    try:
        part = token.split(".")[index]
        value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _now() -> int:
    """Seconds since the epoch on the machine's clock, which is what the IdP's ``exp`` and ``iat`` count in."""
    return int(time.time())  # real clock: the IdP signs exp/iat with the real time, not the application's


def verify_id_token(issuer: str, client_id: str, id_token: str, nonce: str, leeway: int) -> dict:
    """The ID token's claims once signature, ``iss``, ``aud``, ``azp``, ``exp``, ``iat`` and ``nonce`` are right.

    A key id the cached set lacks makes us fetch the set once more: that is how a key rotation arrives.
    """
    try:
        token = _decode(issuer, id_token)
    except (ValueError, JoseError):
        raise SsoError("handtekening van het ID-token ongeldig of sleutel onbekend", BAD_ANSWER) from None
    registry = jwt.JWTClaimsRegistry(
        now=_now(),
        leeway=leeway,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(token.claims)
    except ExpiredTokenError:
        raise SsoError("ID-token verlopen", BAD_ANSWER) from None
    except JoseError as exc:
        raise SsoError(f"ID-token geweigerd ({exc.error}: {getattr(exc, 'claim', '')})".strip(), BAD_ANSWER) from None
    aud = token.claims["aud"]
    if isinstance(aud, list) and len(aud) > 1 and token.claims.get("azp") != client_id:
        raise SsoError("ID-token geweigerd (azp)", BAD_ANSWER)
    return dict(token.claims)


def shows_second_factor(claims: dict, strong_acrs: frozenset[str]) -> bool:
    """Whether the ID token proves a second factor: ``amr`` says "mfa" or names two methods, or ``acr`` is one
    the administrator configured as strong."""
    amr = claims.get("amr") or []
    if not isinstance(amr, list):
        amr = []
    methods = {m for m in amr if isinstance(m, str)}
    return "mfa" in methods or len(methods & AMR_METHODS) >= 2 or claims.get("acr") in strong_acrs


BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def verify_logout_token(issuer: str, client_id: str, logout_token: str, leeway: int) -> dict:
    """The claims of a back-channel logout token (OpenID Connect Back-Channel Logout 1.0, section 2.6): signed by
    the IdP, ``iss``/``aud``/``iat`` right, the back-channel ``events`` member, a ``sub``, and no ``nonce``."""
    try:
        token = _decode(issuer, logout_token)
        jwt.JWTClaimsRegistry(
            now=_now(), leeway=leeway,
            iss={"essential": True, "value": issuer}, aud={"essential": True, "value": client_id},
            iat={"essential": True}, sub={"essential": True},
        ).validate(token.claims)
    except (ValueError, JoseError):
        raise SsoError("uitlogtoken ongeldig", "ongeldig uitlogtoken", 400) from None
    events = token.claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict) \
            or "nonce" in token.claims:
        raise SsoError("uitlogtoken zonder back-channel-event of met nonce", "ongeldig uitlogtoken", 400)
    return dict(token.claims)


def unverified_issuer(token: str) -> str | None:
    """The ``iss`` a JWT claims, before any check: only to pick which provider's keys then verify it."""
    claims = _segment(token, 1)
    iss = claims.get("iss") if claims else None
    return iss if isinstance(iss, str) else None
