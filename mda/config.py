"""Configuration from the environment.

Every setting comes from an ``MDA_*`` environment variable; a bad value stops
start-up with a one-line explanation (:class:`ConfigError`).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

#: the project folder (templates, static files, migrations, the data folders of catalogue, agendas and ladders)
ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting has a value the application cannot start with."""


def _int(env: dict, name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is geen geheel getal") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} moet minstens {minimum} zijn")
    return value


def _bool(env: dict, name: str, default: bool = False) -> bool:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    if raw.lower() in ("1", "true", "yes", "ja", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "nee", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} moet 1/0, true/false of ja/nee zijn")


def _choice(env: dict, name: str, choices: tuple[str, ...]) -> str:
    """One of *choices* (the first when unset)."""
    raw = (env.get(name) or choices[0]).strip().lower()
    if raw not in choices:
        raise ConfigError(f"{name}={raw!r} moet een van {', '.join(choices)} zijn")
    return raw


def _url(env: dict, name: str, schemes: tuple[str, ...]) -> str | None:
    raw = env.get(name)
    if not raw:
        return None
    scheme = urlparse(raw).scheme.split("+")[0]
    if scheme not in schemes:
        raise ConfigError(f"{name} moet beginnen met {' of '.join(s + '://' for s in schemes)}")
    return raw


def _secret_key(env: dict, instance_path: Path) -> str:
    """Return MDA_SECRET_KEY, or one generated once into instance/secret_key."""
    if env.get("MDA_SECRET_KEY"):
        if len(env["MDA_SECRET_KEY"]) < 32:
            raise ConfigError("MDA_SECRET_KEY moet minstens 32 tekens lang zijn")
        return env["MDA_SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _fernet_keys(env: dict, instance_path: Path, variable: str, file_name: str) -> list[str]:
    """*variable* (comma-separated Fernet keys, newest first: the first encrypts, all decrypt), or one key
    generated once into instance/*file_name* (a single process; a cluster sets the variable from its Secret).
    Every key must be a valid Fernet key."""
    from cryptography.fernet import Fernet

    raw = env.get(variable, "")
    if not raw:
        key_file = instance_path / file_name
        if not key_file.exists():
            instance_path.mkdir(parents=True, exist_ok=True)
            key_file.write_text(Fernet.generate_key().decode())
            key_file.chmod(0o600)
        raw = key_file.read_text().strip()
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    for n, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            raise ConfigError(f"{variable}: sleutel {n} is geen geldige Fernet-sleutel "
                              "(maak er een met: flask --app mda new-totp-key)") from None
    return keys


def _totp_keys(env: dict, instance_path: Path) -> list[str]:
    """MDA_TOTP_KEYS: the keys that encrypt the second-factor secrets and the IdPs' client secrets."""
    return _fernet_keys(env, instance_path, "MDA_TOTP_KEYS", "totp_key")


@dataclass(frozen=True)
class SmtpSettings:
    """Where mail goes; without a host, mail is written to the outbox folder."""

    host: str | None
    port: int
    username: str | None
    password: str | None
    starttls: bool
    sender: str


def load_config(instance_path: str, env: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment, validating every value."""
    env = dict(os.environ if env is None else env)
    instance = Path(instance_path)
    db_url = _url(env, "MDA_DATABASE_URL", ("sqlite", "postgresql")) or (
        f"sqlite:///{instance / 'mda.sqlite'}"
    )
    if db_url.startswith("postgresql://"):
        db_url = "postgresql+psycopg://" + db_url.removeprefix("postgresql://")
    https = _bool(env, "MDA_HTTPS")
    return {
        "SECRET_KEY": _secret_key(env, instance),
        "TOTP_KEYS": _totp_keys(env, instance),
        "DATABASE_URL": db_url,
        "REDIS_URL": _url(env, "MDA_REDIS_URL", ("redis", "rediss")),
        "SMTP": SmtpSettings(
            host=env.get("MDA_SMTP_HOST") or None,
            port=_int(env, "MDA_SMTP_PORT", 587, minimum=1),
            username=env.get("MDA_SMTP_USERNAME") or None,
            password=env.get("MDA_SMTP_PASSWORD") or None,
            starttls=_bool(env, "MDA_SMTP_STARTTLS", True),
            sender=env.get("MDA_SMTP_SENDER", "MDA++ <noreply@mda.invalid>"),
        ),
        "OUTBOX_DIR": str(instance / "outbox"),
        # without MDA_BASE_URL, links follow the development server's own address (MDA_HOST, MDA_PORT)
        "BASE_URL": (env.get("MDA_BASE_URL") or
                     f"http://{env.get('MDA_HOST') or '127.0.0.1'}:{env.get('MDA_PORT') or '5000'}").rstrip("/"),
        "IDLE_TIMEOUT": timedelta(minutes=_int(env, "MDA_IDLE_TIMEOUT_MINUTES", 30, 1)),
        "PERMANENT_SESSION_LIFETIME": timedelta(
            hours=_int(env, "MDA_SESSION_MAX_HOURS", 10, 1)
        ),
        # the cookie is set again when the session changes (its last activity, written once a minute: see
        # mda.core.security.SEEN_STEP), not on every page: the lifetime is enforced from the login time anyway
        "SESSION_REFRESH_EACH_REQUEST": False,
        # leeway for the exp/iat of an IdP's ID and logout tokens against the machine's clock (docs/sso.md)
        "SSO_CLOCK_SKEW_SECONDS": _int(env, "MDA_SSO_CLOCK_SKEW_SECONDS", 60, 0),
        "LOGIN_MAX_FAILURES": _int(env, "MDA_LOGIN_MAX_FAILURES", 5, 1),
        "LOGIN_LOCK_MINUTES": _int(env, "MDA_LOGIN_LOCK_MINUTES", 15, 1),
        "MAX_CONTENT_LENGTH": _int(env, "MDA_MAX_REQUEST_KB", 2048, 16) * 1024,
        "HTTPS": https,
        "SESSION_COOKIE_SECURE": https,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "mda_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": https,
        "INSECURE_DEMO_SKIP_2FA": _bool(env, "MDA_INSECURE_DEMO_SKIP_2FA"),
        "RATELIMIT_STORAGE_URI": _url(env, "MDA_REDIS_URL", ("redis", "rediss")) or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis down: count in this process's memory until it is back, instead of failing every limited route
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_ENABLED": _bool(env, "MDA_RATELIMIT_ENABLED", True),
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "nl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
        "TRUSTED_PROXIES": _int(env, "MDA_TRUSTED_PROXIES", 0),
        "RETENTION_DAYS": _int(env, "MDA_RETENTION_DAYS", 5 * 365, 1),
        "ACTION_REMINDER_DAYS": _int(env, "MDA_ACTION_REMINDER_DAYS", 3, 1),
        "SCHEDULER_MINUTES": _int(env, "MDA_SCHEDULER_MINUTES", 5, 0),
        # /metrics answers on this port only (gunicorn binds it beside the public one); 0: no metrics
        "METRICS_PORT": _int(env, "MDA_METRICS_PORT", 0),
        "METRICS_TOKEN": env.get("MDA_METRICS_TOKEN") or None,
        # PostgreSQL: audit rows are sealed into the chain this long after their commit, in batches; every
        # process also sweeps for rows a killed process left this often (mda/core/audit/sealer.py)
        "AUDIT_SEAL_DELAY": _int(env, "MDA_AUDIT_SEAL_DELAY_MS", 250, 1) / 1000,
        "AUDIT_SEAL_SWEEP": _int(env, "MDA_AUDIT_SEAL_SWEEP_SECONDS", 5, 1),
        # case documents, encrypted: in the database (default) or as files in DOCUMENT_DIR (docs/documents.md)
        "DOCUMENT_STORAGE": _choice(env, "MDA_DOCUMENT_STORAGE", ("database", "disk")),
        "DOCUMENT_DIR": env.get("MDA_DOCUMENT_DIR") or str(instance / "documents"),
        "DOCUMENT_KEYS": _document_keys(env, instance),
        "DOCUMENT_MAX_BYTES": _int(env, "MDA_DOCUMENT_MAX_MB", 20, 1) * 1024 * 1024,
        "CLAMD_ADDRESS": env.get("MDA_CLAMD_ADDRESS") or "/var/run/clamav/clamd.ctl",
        "CLAMD_TIMEOUT": _int(env, "MDA_CLAMD_TIMEOUT_SECONDS", 30, 1),
        "INSECURE_DEMO_SKIP_SCAN": _bool(env, "MDA_INSECURE_DEMO_SKIP_SCAN"),
    }


def _document_keys(env: dict, instance_path: Path) -> list[str]:
    """MDA_DOCUMENT_KEYS: the keys that encrypt the stored case documents."""
    return _fernet_keys(env, instance_path, "MDA_DOCUMENT_KEYS", "document_key")
