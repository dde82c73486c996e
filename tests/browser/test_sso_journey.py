"""Logging in with one's own organisation's IdP in a real browser, through the IdP's own login form."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.auth.idp import TestIdp
from tests.browser.conftest import ROOT, _free_port, _prepare_database, _server_env, _wait_until_healthy

pytestmark = pytest.mark.browser

AGENT = "agent.pol@demo.invalid"


@pytest.fixture(scope="module")
def sso_server() -> Iterator[tuple[str, TestIdp]]:
    """A server of its own with the demo data whose police organisation logs in at a real test IdP."""
    from sqlmodel import Session, select

    from mda import create_app
    from mda.organisations.models import Organisation
    from mda.sso import services

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    idp = TestIdp({"agent-sub": {"email": AGENT, "name": "Peter Posthoorn"}}, client_id="mda-pol",
                  client_secret="pol-geheim", redirect_uri=f"{base}/login/sso/terug")
    tmp = Path(tempfile.mkdtemp(prefix="mda-sso-browser-"))
    env = _server_env(tmp, port)
    env["MDA_TOTP_KEYS"] = os.environ["MDA_TOTP_KEYS"]  # the key this process encrypts the client secret with
    _prepare_database(env["MDA_DATABASE_URL"])
    app = create_app({"DATABASE_URL": env["MDA_DATABASE_URL"], "TESTING": True})
    with app.test_request_context("/"), Session(app.extensions["mda_engine"]) as db:
        police = db.exec(select(Organisation).where(Organisation.type_code == "POL")).first()
        services.save_provider(db, None, police.id, issuer=idp.issuer, client_id=idp.client_id,
                               client_secret=idp.client_secret, require_mfa=True, actor_name="test")
        db.commit()
    app.extensions["mda_engine"].dispose()
    log = tmp / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "mda"], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        _wait_until_healthy(base, process, log)
        yield base, idp
    finally:
        process.terminate()
        process.wait(timeout=10)
        idp.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def test_police_officer_logs_in_through_the_idps_own_form(browser, sso_server):
    """Does a police officer who types only the e-mail address reach the police IdP's own form, log in there
    with a second factor, and land on MDA++'s home page logged in, without MDA++'s own code?"""
    base, idp = sso_server
    context = browser.new_context(locale="nl-NL")
    try:
        page = context.new_page()
        page.goto(f"{base}/login")
        page.get_by_label("E-mailadres").fill(AGENT)
        page.get_by_role("button", name="Inloggen").click()
        expect(page).to_have_url(re.compile(re.escape(idp.issuer) + r"/interaction/[\w-]+$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen bij de test-IdP")
        page.locator("#sub").fill("agent-sub")
        page.locator("#amr").fill("pwd,otp")
        page.get_by_role("button", name="Inloggen").click()
        expect(page).to_have_url(f"{base}/")
        expect(page.get_by_role("banner")).to_contain_text("Peter Posthoorn (fictief)")
        expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()
    finally:
        context.close()
