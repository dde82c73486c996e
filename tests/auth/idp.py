"""A real OpenID provider for the SSO tests: panva's ``oidc-provider`` (npm, certified), run by tests/auth/oidc_idp.mjs.

:class:`TestIdp` starts it with ``node`` on a free loopback port; :func:`log_in_at_idp` plays the browser at the
IdP's own login form with ``requests`` and returns the address the IdP sends the browser back to.
Without node or the npm package the tests are skipped (``make test`` installs it through package.json).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("oidc_idp.mjs")
REDIRECT_URI = "http://mda.test/login/sso/terug"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TestIdp:
    """One running provider: its issuer, its client for MDA++, and its accounts (sub -> claims)."""

    __test__ = False

    def __init__(self, accounts: dict[str, dict], *, client_id: str = "mda", client_secret: str = "geheim-1",
                 id_token_ttl: int = 3600, kid: str = "key-1", port: int | None = None,
                 redirect_uri: str = REDIRECT_URI):
        if shutil.which("node") is None or not (ROOT / "node_modules" / "oidc-provider").is_dir():
            pytest.skip("node of het npm-pakket oidc-provider ontbreekt (make test installeert het)")
        self.port = port or _free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.client_id, self.client_secret, self.accounts = client_id, client_secret, accounts
        self.id_token_ttl, self.kid, self.redirect_uri = id_token_ttl, kid, redirect_uri
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self, kid: str | None = None) -> None:
        """Start (or start again, with another signing key: a key rotation) on the same port and issuer."""
        self.kid = kid or self.kid
        config = {"port": self.port, "idTokenTtl": self.id_token_ttl, "kid": self.kid, "accounts": self.accounts,
                  "clients": [{"client_id": self.client_id, "client_secret": self.client_secret,
                               "redirect_uris": [self.redirect_uri],
                               "post_logout_redirect_uris": [self.redirect_uri.replace("/sso/terug", "")]}]}
        self.process = subprocess.Popen(["node", str(SCRIPT), json.dumps(config)], cwd=ROOT, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("READY"):
            self.stop()
            raise RuntimeError(f"test-IdP startte niet: {line!r}")

    def stop(self) -> None:
        """Stop the provider and wait for it."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def log_in_at_idp(authorization_url: str, sub: str, amr: str = "pwd,otp", acr: str = "") -> str:
    """Follow the IdP's redirects, fill its login form as *sub*, and return where it sends the browser back."""
    browser = requests.Session()
    response = browser.get(authorization_url, allow_redirects=False, timeout=10)
    assert response.status_code in (302, 303), response.text[:300]
    form_url = urljoin(authorization_url, response.headers["location"])
    response = browser.post(form_url + "/login", data={"sub": sub, "amr": amr, "acr": acr},
                            allow_redirects=False, timeout=10)
    for _ in range(5):
        assert response.status_code in (302, 303), response.text[:300]
        location = urljoin(form_url, response.headers["location"])
        if location.startswith("http://mda.test/"):
            return location.removeprefix("http://mda.test")
        response = browser.get(location, allow_redirects=False, timeout=10)
    raise AssertionError("de test-IdP stuurde niet terug naar MDA++")
