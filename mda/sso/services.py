"""Single sign-on: an organisation's OpenID provider, and the decision who an IdP's login is in MDA++.

A login proves who someone is, not what they may see: the account, its organisation and roles stay the
administrator's. The IdP's answer only picks an existing, active account of the organisation whose IdP
answered: by the linked pair (issuer, subject), or, the first time, by the verified e-mail address, which
then links the pair for good. Services flush and never commit; audit rows go with the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from sqlmodel import Session, func, select

from mda.auth.models import User
from mda.core import audit
from mda.core.errors import ServiceError
from mda.core.timeutil import utcnow
from mda.organisations.models import Organisation
from mda.sso import client
from mda.sso.client import SsoError
from mda.sso.models import OidcProvider, SsoIdentity

UNKNOWN_ACCOUNT = ("U bent bij uw organisatie ingelogd, maar er is in MDA++ geen actief account dat bij deze login "
                   "hoort. Een account krijgt u van de beheerder van MDA++ in uw regio; vraag hem of haar om een "
                   "account met uw zakelijke e-mailadres.")
NO_MFA = ("Uw organisatie vereist inloggen met een tweede factor (bijvoorbeeld een authenticator-app of "
          "een sleutel), maar uw inlogdienst meldt alleen een wachtwoord. Log opnieuw in met uw tweede factor.")
INACTIVE = "Dit account is gedeactiveerd. Neem contact op met de beheerder van MDA++ als dit niet klopt."


@dataclass
class SsoLogin:
    """A verified login: the account, and whether the IdP's second factor counts for MDA++'s."""

    user: User
    second_factor_done: bool
    method: str


def provider_of(db: Session, organisation_id: int) -> OidcProvider | None:
    """The organisation's identity provider, if it has one."""
    return db.exec(select(OidcProvider).where(OidcProvider.organisation_id == organisation_id)).first()


def list_providers(db: Session) -> list[tuple[OidcProvider, Organisation]]:
    """Every configured provider with its organisation, by organisation name."""
    return list(db.exec(select(OidcProvider, Organisation).join(Organisation,
                                                                Organisation.id == OidcProvider.organisation_id)
                        .order_by(Organisation.name)).all())


def _check_issuer(issuer: str) -> str:
    issuer = issuer.strip()
    parsed = urlparse(issuer)
    local = parsed.hostname in ("localhost", "127.0.0.1", "::1")
    if not parsed.netloc or parsed.query or parsed.fragment or not (
            parsed.scheme == "https" or (parsed.scheme == "http" and local)):
        raise ServiceError("De issuer moet een https-adres zijn (zonder ? of #), precies zoals de inlogdienst het "
                           "in zijn discovery-document noemt.", field="issuer")
    return issuer


def save_provider(db: Session, actor: User | None, organisation_id: int, *, issuer: str, client_id: str,
                  client_secret: str | None, require_mfa: bool, email_claim: str = "email",
                  name_claim: str = "name", strong_acr_values: str = "", actor_name: str | None = None) -> OidcProvider:
    """Create or change an organisation's provider; *client_secret* None keeps the stored one."""
    if db.get(Organisation, organisation_id) is None:
        raise ServiceError(f"Organisatie {organisation_id} bestaat niet.", field="organisation_id")
    issuer = _check_issuer(issuer)
    client_id = client_id.strip()
    if not client_id or len(client_id) > 255:
        raise ServiceError("Vul de client-id in die de inlogdienst voor MDA++ gaf.", field="client_id")
    for label, claim in (("e-mail", email_claim), ("naam", name_claim)):
        if not claim.strip() or len(claim) > 100 or " " in claim.strip():
            raise ServiceError(f"De claim voor {label} moet één naam zijn, zoals 'email' of 'name'.")
    provider = provider_of(db, organisation_id)
    if provider is None and not client_secret:
        raise ServiceError("Vul het clientgeheim in.", field="client_secret")
    if client_secret is not None and (not client_secret.strip() or len(client_secret) > 1000):
        raise ServiceError("Het clientgeheim is leeg of te lang.", field="client_secret")
    now = utcnow()
    if provider is None:
        provider = OidcProvider(organisation_id=organisation_id, issuer=issuer, client_id=client_id,
                                client_secret=client_secret.strip(), created_at=now, updated_at=now)
    if client_secret:
        provider.client_secret = client_secret.strip()
    provider.issuer, provider.client_id, provider.require_mfa = issuer, client_id, require_mfa
    provider.email_claim, provider.name_claim = email_claim.strip(), name_claim.strip()
    provider.strong_acr_values = " ".join(strong_acr_values.split())[:500]
    provider.updated_at = now
    db.add(provider)
    db.flush()
    client.forget_cache()
    audit.record(db, "update", user=actor, user_name=actor_name, object_type="oidc_provider",
                 object_id=organisation_id, summary=f"inlogdienst ingesteld: {issuer} (tweede factor "
                 f"{'vereist' if require_mfa else 'niet vereist'})")
    return provider


def remove_provider(db: Session, actor: User | None, organisation_id: int, actor_name: str | None = None) -> None:
    """Remove an organisation's provider: its people log in with password and TOTP again (the links stay,
    so that putting the provider back does not let another subject take over an account)."""
    provider = provider_of(db, organisation_id)
    if provider is None:
        raise ServiceError(f"Organisatie {organisation_id} heeft geen inlogdienst.", status=404)
    db.delete(provider)
    db.flush()
    client.forget_cache()
    audit.record(db, "update", user=actor, user_name=actor_name, object_type="oidc_provider",
                 object_id=organisation_id, summary=f"inlogdienst verwijderd: {provider.issuer}")


def provider_for_user(db: Session, user: User | None) -> OidcProvider | None:
    """Home-realm discovery by the account: the IdP of the account's own organisation, never by the domain."""
    if user is None:
        return None
    return provider_of(db, user.organisation_id)


def refuse(db: Session, reason: str, *, user: User | None = None, provider: OidcProvider | None = None,
           subject: str = "") -> None:
    """Put a refused IdP login on record (it survives the request's rollback); names issuer and subject only."""
    where = f" via {provider.issuer}" if provider else ""
    who = f" (sub {subject[:100]})" if subject else ""
    audit.record(db, "login_failed", user=user, user_name=getattr(user, "email", "") if user else "sso",
                 object_type="user", object_id=getattr(user, "id", ""), outcome="failure",
                 summary=f"inloggen via inlogdienst geweigerd{where}{who}: {reason}"[:500])
    db.flush()


def refuse_logout(db: Session, reason: str) -> None:
    """Put a refused back-channel logout on record (survives the rollback of the 400 answer)."""
    audit.record(db, "denied", user_name="inlogdienst", object_type="sso_logout",
                 summary=f"uitloggen geweigerd: {reason}")
    db.flush()


def account_for_login(db: Session, provider: OidcProvider, claims: dict) -> SsoLogin:
    """The MDA++ account an ID token (already verified) logs in, or :class:`SsoError`.

    Only accounts of the provider's own organisation count. Once linked, only (issuer, subject) does: a changed
    e-mail at the IdP neither moves the account nor locks its owner out.
    """
    subject = str(claims["sub"])
    identity = db.exec(select(SsoIdentity).where(SsoIdentity.issuer == provider.issuer,
                                                 SsoIdentity.subject == subject)).first()
    user = db.get(User, identity.user_id) if identity else None
    if user is not None and user.organisation_id != provider.organisation_id:
        # linked while the account belonged to this organisation; the administrator moved it since
        raise SsoError("gekoppeld account hoort bij een andere organisatie", UNKNOWN_ACCOUNT)
    if user is None:
        user = _link_by_email(db, provider, claims, subject)
    if not user.active:
        raise SsoError("account gedeactiveerd", INACTIVE)
    mfa = client.shows_second_factor(claims, provider.strong_acrs)
    if provider.require_mfa and not mfa:
        raise SsoError(f"tweede factor vereist; amr={claims.get('amr')!r} acr={claims.get('acr')!r}"[:200], NO_MFA)
    return SsoLogin(user=user, second_factor_done=provider.require_mfa and mfa,
                    method="inlogdienst" + (" met tweede factor" if mfa else ""))


def _link_by_email(db: Session, provider: OidcProvider, claims: dict, subject: str) -> User:
    email = claims.get(provider.email_claim)
    if not isinstance(email, str) or not email.strip():
        raise SsoError("onbekend subject; geen e-mailadres in het ID-token", UNKNOWN_ACCOUNT)
    if provider.email_claim == "email" and claims.get("email_verified") is False:
        raise SsoError("onbekend subject; e-mailadres niet geverifieerd door de inlogdienst", UNKNOWN_ACCOUNT)
    user = db.exec(select(User).where(func.lower(User.email) == email.strip().lower())).first()
    if user is None:
        raise SsoError("onbekend subject; geen account met dit e-mailadres", UNKNOWN_ACCOUNT)
    if user.organisation_id != provider.organisation_id:
        raise SsoError("account van een andere organisatie", UNKNOWN_ACCOUNT)
    if db.exec(select(SsoIdentity).where(SsoIdentity.user_id == user.id)).first() is not None:
        # already linked to another subject: an e-mail address cannot take the account over
        raise SsoError("account al gekoppeld aan een ander subject", UNKNOWN_ACCOUNT)
    if not user.active:
        raise SsoError("account gedeactiveerd", INACTIVE)
    db.add(SsoIdentity(user_id=user.id, issuer=provider.issuer, subject=subject, linked_at=utcnow()))
    db.flush()
    audit.record(db, "update", user=user, object_type="user", object_id=user.id,
                 summary=f"account gekoppeld aan inlogdienst {provider.issuer} (sub {subject[:100]})")
    return user


def backchannel_logout(db: Session, logout_token: str, leeway: int) -> None:
    """End every MDA++ session (live sockets included) of the account the IdP logged out, by (issuer, subject).

    A token for a subject linked to no account is accepted and changes nothing (the IdP cannot know who has an
    account here). Refusals raise :class:`SsoError` and are on record.
    """
    issuer = client.unverified_issuer(logout_token)
    # several organisations may share one IdP (one tenant, a client each): the token's audience picks the client
    providers = db.exec(select(OidcProvider).where(OidcProvider.issuer == issuer)).all() if issuer else []
    if not providers:
        raise SsoError("uitlogtoken van een onbekende inlogdienst", "onbekende inlogdienst", 400)
    claims, failure = None, None
    for provider in providers:
        try:
            claims = client.verify_logout_token(provider.issuer, provider.client_id, logout_token, leeway)
            break
        except SsoError as exc:
            failure = exc
    if claims is None:
        raise failure
    subject = str(claims["sub"])
    identity = db.exec(select(SsoIdentity).where(SsoIdentity.issuer == provider.issuer,
                                                 SsoIdentity.subject == subject)).first()
    user = db.get(User, identity.user_id) if identity else None
    if user is None:
        return
    user.session_version += 1  # every session cookie and live socket checks this version
    db.add(user)
    audit.record(db, "logout", user=user, object_type="user", object_id=user.id,
                 summary=f"uitgelogd door de inlogdienst (back-channel) {provider.issuer}, sub {subject[:100]}")
