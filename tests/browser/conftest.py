"""End-to-end fixtures: the real app in a subprocess, driven by headless Chromium.

The server is started once for this package (``python -m mda``, the development
server) on a free port of 127.0.0.1, against a fresh SQLite database that is
migrated and filled with the fictional demo data through the real CLI commands.
Each test gets its own browser context, so cookies never leak between tests.

Playwright's sync API is used directly (not pytest-playwright), with the Chromium
from Debian (``/usr/bin/chromium``): ``playwright install`` is never needed, and
nothing is downloaded, so the suite also runs in closed networks.
Helpers for the tests themselves (login, axe) are in ``tests/browser/helpers.py``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_NOW, machine_time

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: how long the server may take to answer /healthz (polled, not asserted)
STARTUP_ATTEMPTS = 300
STARTUP_INTERVAL = 0.1


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(tmp: Path, port: int) -> dict[str, str]:
    """An environment of its own for the server.

    tests/conftest.py sets MDA_INSTANCE_PATH and MDA_SECRET_KEY in this (pytest)
    process, so every inherited MDA_* variable is dropped and the server gets
    exactly these settings.

    MDA_TEST_DATABASE_URL (the PostgreSQL CI run) is deliberately ignored: the
    browser tests check pages and journeys, not the database, and a SQLite file of
    their own cannot collide with the TRUNCATEs of the other tests on the shared
    PostgreSQL database.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("MDA_")}
    env.update({
        "MDA_PORT": str(port),
        "MDA_INSTANCE_PATH": str(tmp / "instance"),
        "MDA_DATABASE_URL": f"sqlite:///{tmp / 'x.sqlite'}",
        "MDA_INSECURE_DEMO_SKIP_2FA": "1",
        # the demo accounts' uploads are not scanned (no clamd here; tests/documents scans with one of its own)
        "MDA_INSECURE_DEMO_SKIP_SCAN": "1",
        "MDA_SECRET_KEY": "browser-test-secret-key-0123456789-abcdefghij",
        "MDA_RATELIMIT_ENABLED": "0",
        "MDA_BASE_URL": f"http://127.0.0.1:{port}",
        "MDA_CLOCK_START": TEST_NOW.isoformat(),  # the server's days are the suite's named days
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _prepare_database(database_url: str) -> None:
    """Migrate the server's database and load the demo data with the real CLI commands.

    ``flask --app mda migrate`` and ``flask --app mda demo-data`` are invoked through
    Flask's CLI runner in this process: the same click commands, without starting two
    more interpreters that each import the whole app (seconds on a busy machine).

    Tables that a feature in progress has no migration for yet are created from the
    models in between, as tests/conftest.py does; tests/core/test_migrations.py fails
    until that migration exists, the browser tests should not fail for the same reason.
    """
    from sqlmodel import SQLModel

    from mda import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True})  # TESTING: leave logging alone
    runner = app.test_cli_runner()
    try:
        for command in ("migrate", "demo-data"):
            result = runner.invoke(args=[command])
            if result.exit_code != 0:
                pytest.fail(f"flask --app mda {command} failed:\n{result.output}\n{result.exception!r}")
            if command == "migrate":
                SQLModel.metadata.create_all(app.extensions["mda_engine"])
    finally:
        app.extensions["mda_engine"].dispose()


def _wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    """Poll /healthz until it answers 200; stop early when the server died."""
    for _ in range(STARTUP_ATTEMPTS):
        if process.poll() is not None:
            pytest.fail(f"the server stopped with exit code {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(STARTUP_INTERVAL)
    pytest.fail(f"the server did not answer {url}/healthz:\n{log.read_text()}")


@pytest.fixture(scope="package", autouse=True)
def machine_time_for_browsers() -> Iterator[None]:
    """Chromium keeps the machine's time: the check run's moved wall clock (tests/conftest.py) pauses here,
    or the server's cookies would expire in the browser. The application's clock stays at the named instant."""
    with machine_time():
        yield


@pytest.fixture(scope="package")
def base_url() -> Iterator[str]:
    """The address of a running MDA++ server with the demo data.

    Package-scoped, like ``browser``: both stop after the last browser test, so that
    the tests that run after them share no process, thread or event loop with them.
    """
    tmp = Path(tempfile.mkdtemp(prefix="mda-browser-"))
    port = _free_port()
    env = _server_env(tmp, port)
    _prepare_database(env["MDA_DATABASE_URL"])
    log = tmp / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "mda"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for all browser tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, base_url):
    """A fresh browser context per test (own cookies); CSP bypassed so axe can be injected."""
    ctx = browser.new_context(bypass_csp=True, locale="nl-NL", base_url=base_url)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    """A page in the test's own context."""
    return context.new_page()


@pytest.fixture
def requested_urls(page) -> list[str]:
    """Every URL *page* requests (including websockets), to check that nothing leaves 127.0.0.1."""
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.on("websocket", lambda ws: urls.append(ws.url))
    return urls
