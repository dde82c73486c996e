"""The container image as a cluster runs it: read-only root, non-root user, two replicas on one PostgreSQL + Redis.

Slow (it builds the image and starts four replicas: about 2 min with the Debian base cached in build/image, 3 min
without), so it runs only under ``make image-test`` (``MDA_TEST_IMAGE=1``, .ci/run) and skips without podman. It
needs MDA_TEST_DATABASE_URL (PostgreSQL: the test makes a database of its own beside it) and MDA_TEST_REDIS_URL.
The live-event test runs the containers on the machine's time, so run it without MDA_TEST_WALL_CLOCK.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mda.core import clock

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("MDA_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("MDA_TEST_REDIS_URL")
IMAGE = "localhost/mda:image-test"

pytestmark = [
    pytest.mark.skipif(not os.environ.get("MDA_TEST_IMAGE"), reason="the image test runs under make image-test"),
    pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed"),
    pytest.mark.skipif(not (PG_URL and REDIS_URL), reason="needs MDA_TEST_DATABASE_URL and MDA_TEST_REDIS_URL"),
]
#: the documents' key, as the Secret gives it (a read-only root cannot hold a generated one)
DOCUMENT_KEYS = "37LmQXshspAMJbWtJ3rjA7ZmJWA42AcJefr2ZJbziuY="
ENV = {**os.environ, "CONTAINERS_CONF": str(ROOT / "deploy" / "podman" / "containers.conf")}
#: what a Kubernetes securityContext asks of the pod (deploy/helm/mda): read-only root, no capabilities
HARDENED = ["--read-only", "--cap-drop=ALL", "--security-opt", "no-new-privileges", "--network", "host"]
GRACE = 30


def podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], env=ENV, capture_output=True, text=True, timeout=timeout,  # noqa: S603,S607
                          check=check)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def image():
    """The image, built once by deploy/image.sh (the same script as ``make image``)."""
    subprocess.run([str(ROOT / "deploy" / "image.sh")], env={**ENV, "IMAGE": IMAGE}, check=True, timeout=900)  # noqa: S603
    return IMAGE


@pytest.fixture(scope="module")
def database_url():
    """A PostgreSQL database of the test's own, dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"mda_image_{os.getpid()}"
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Forwarder:
    """A TCP forwarder in front of PostgreSQL: the replicas reach the database only through it, so the test can
    take the database away (close everything) and bring it back without stopping the machine's PostgreSQL."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.port = target, free_port()
        self.connections: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.resume()

    def resume(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def pause(self) -> None:
        """The database is gone: refuse new connections and cut the open ones."""
        # shutdown first: close() alone leaves the listening socket alive inside the accept() that the accept
        # thread is blocked in, which then takes one more connection (seen: the replica stayed ready)
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for conn in self.connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        self.connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


@pytest.fixture(scope="module")
def database_proxy(database_url):
    """The forwarder the replicas use, and their database URL through it."""
    parts = urllib.parse.urlsplit(database_url)
    forwarder = Forwarder((parts.hostname, parts.port or 5432))
    netloc = parts.netloc.rsplit("@", 1)[0] + f"@127.0.0.1:{forwarder.port}" if "@" in parts.netloc \
        else f"127.0.0.1:{forwarder.port}"
    yield forwarder, urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    forwarder.pause()


@pytest.fixture(scope="module")
def settings(database_proxy):
    """What a Secret and a ConfigMap give each pod."""
    database_url = database_proxy[1]
    return {"MDA_DATABASE_URL": database_url, "MDA_REDIS_URL": REDIS_URL,
            "MDA_SECRET_KEY": "image-test-secret-key-0123456789-abcdefghij",
            "MDA_TOTP_KEYS": os.environ["MDA_TOTP_KEYS"] if os.environ.get("MDA_TOTP_KEYS")
            else "U74B5_0u1xuTUwu36EhbMAxgWZNq044f-_yBK2Goatw=",
            "MDA_DOCUMENT_KEYS": DOCUMENT_KEYS, "MDA_INSECURE_DEMO_SKIP_2FA": "1"}


def env_args(settings: dict) -> list[str]:
    return [arg for key, value in settings.items() for arg in ("-e", f"{key}={value}")]


@pytest.fixture(scope="module")
def replicas(image, settings):
    """Migrate once (as the Helm hook Job does), load the demo, then start two replicas; yield their ports."""
    for command in (["flask", "--app", "mda", "migrate"], ["flask", "--app", "mda", "demo-data"]):
        podman("run", "--rm", *HARDENED, *env_args(settings), image, *command, timeout=180)
    started = []
    try:
        for n in (1, 2):
            web, metrics = free_port(), free_port()
            name = f"mda-image-test-{os.getpid()}-{n}"
            podman("run", "-d", "--name", name, *HARDENED, *env_args(settings),
                   "-e", f"MDA_BIND=127.0.0.1:{web}", "-e", f"MDA_METRICS_PORT={metrics}", image)
            started.append({"name": name, "web": f"http://127.0.0.1:{web}", "metrics": f"http://127.0.0.1:{metrics}"})
        for replica in started:
            wait_ready(replica)
        yield started
    finally:
        for replica in started:
            podman("rm", "-f", "-t", "0", replica["name"], check=False)


def wait_ready(replica: dict, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{replica['web']}/healthz/ready", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"{replica['name']} never became ready:\n{podman('logs', replica['name'], check=False).stderr}")


def status(url: str, opener=None) -> int:
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_replicas_run_as_the_fixed_non_root_user_on_a_read_only_root(replicas):
    """Does each replica run as UID 10001 with gunicorn as PID 1, unable to write its own root file system?"""
    name = replicas[0]["name"]
    assert podman("exec", name, "id", "-u").stdout.strip() == "10001"
    assert "gunicorn" in podman("exec", name, "cat", "/proc/1/cmdline").stdout
    wrote = podman("exec", name, "touch", "/app/mda/x", check=False)
    assert wrote.returncode != 0 and "Read-only file system" in wrote.stderr


def test_the_image_carries_oci_labels(image):
    """Does the image say where it comes from and which version it is (OCI labels)?"""
    labels = json.loads(podman("image", "inspect", image, "--format", "{{json .Labels}}").stdout)
    assert labels["org.opencontainers.image.version"] == "0.1.0"
    assert labels["org.opencontainers.image.revision"] not in ("", "unknown")
    assert "org.opencontainers.image.source" in labels


def test_metrics_only_on_the_metrics_port(replicas):
    """Is /metrics 404 on the public port and served in Prometheus format on the metrics port?"""
    replica = replicas[0]
    assert status(f"{replica['web']}/metrics") == 404
    with urllib.request.urlopen(f"{replica['metrics']}/metrics", timeout=5) as response:  # noqa: S310
        assert "mda_http_requests_total" in response.read().decode()


def test_a_login_on_one_replica_holds_on_the_other(replicas):
    """Can a demo user log in over HTTP on replica 1 and open the start page on replica 2 with the same cookie?"""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    first, second = replicas
    page = opener.open(f"{first['web']}/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    form = urllib.parse.urlencode({"csrf_token": token.group(1), "email": "regisseur.zvh@demo.invalid",
                                   "password": "fictief-demo-wachtwoord-2026"}).encode()
    landed = opener.open(f"{first['web']}/login", data=form, timeout=10)
    assert urllib.parse.urlparse(landed.url).path == "/", landed.url
    # the cookie was set for 127.0.0.1 and both replicas listen there: replica 2 must accept the session
    home = opener.open(f"{second['web']}/", timeout=10)
    assert urllib.parse.urlparse(home.url).path == "/" and "Roos Regie" in home.read().decode()


def test_readiness_follows_the_database_away_and_back(replicas, database_proxy):
    """When PostgreSQL becomes unreachable, does /healthz/ready turn 503 while /healthz/live stays 200 (no restart),
    and does the replica become ready again by itself when the database returns?"""
    forwarder, _url = database_proxy
    replica = replicas[0]
    forwarder.pause()
    try:
        assert poll_status(f"{replica['web']}/healthz/ready", 503), "still ready without a database"
        assert status(f"{replica['web']}/healthz/live") == 200
    finally:
        forwarder.resume()
    assert poll_status(f"{replica['web']}/healthz/ready", 200), "not ready again after the database returned"


def poll_status(url: str, wanted: int, seconds: float = 30) -> bool:
    """Whether *url* answers *wanted* within *seconds* (a bound on waiting, not a speed assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if status(url) == wanted:
                return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    return False


@pytest.fixture
def live_replicas(image, database_url_for_tests):
    """Two replicas on the suite's own test database (where the live fixtures made a meeting), signing cookies
    with the suite's key so that the test's logged-in clients are logged in on both."""
    settings = {"MDA_DATABASE_URL": database_url_for_tests, "MDA_REDIS_URL": REDIS_URL,
                "MDA_SECRET_KEY": os.environ["MDA_SECRET_KEY"], "MDA_TOTP_KEYS": os.environ["MDA_TOTP_KEYS"],
                "MDA_DOCUMENT_KEYS": DOCUMENT_KEYS, "MDA_BASE_URL": "http://mda.test"}  # Origin: what the clients send
    started = []
    try:
        for n in (1, 2):
            web = free_port()
            name = f"mda-image-live-{os.getpid()}-{n}"
            podman("run", "-d", "--name", name, *HARDENED, *env_args(settings),
                   "-e", f"MDA_BIND=127.0.0.1:{web}", "-e", f"MDA_METRICS_PORT={free_port()}", image)
            started.append({"name": name, "web": f"http://127.0.0.1:{web}"})
        for replica in started:
            wait_ready(replica)
        yield started
    finally:
        for replica in started:
            podman("rm", "-f", "-t", "0", replica["name"], check=False)


@pytest.fixture
def database_url_for_tests(request):
    """The suite's per-test database (conftest's ``database_url``; this module's own is module-scoped)."""
    return request.getfixturevalue("database_url")


def test_a_live_event_crosses_two_containers(app, live_replicas, world, meeting, clients):
    """Does the chair's "next item", sent through replica 1, reach a participant connected to replica 2 (Redis)?"""
    from tests.live.test_real_transport import RealClient

    # the logins below are stamped by the application's clock and checked by the containers' (the machine's time,
    # as in production; nothing in the image moves it): the two must agree or the sessions count as idle
    clock.set_now(datetime.now(UTC), tick=True)  # real clock: the containers run on the machine's time

    chair, pol = RealClient(app, world["coordinator"]), RealClient(app, world["users"]["POL"])
    clients += [chair, pol]
    chair.connect(live_replicas[0]["web"])
    pol.connect(live_replicas[1]["web"])
    for c in (chair, pol):
        assert c.call("deelnemen", {"overleg": meeting.id})["ok"]
    assert chair.call("starten", {"id": "image-start-1"})["ok"]
    pol.events.clear()
    assert chair.call("volgende", {"id": "image-next-01", "punt": meeting.item_a})["ok"]
    assert pol.wait_for("melding")
    assert pol.call("overleg")["overleg"]["huidig_punt"] == meeting.item_a


def test_sigterm_ends_a_replica_within_the_grace_period(replicas):
    """Does SIGTERM (what the kubelet sends) stop gunicorn cleanly well within the pod's 30 s grace period?"""
    name = replicas[1]["name"]
    started = time.monotonic()
    podman("stop", "-t", str(GRACE), name, timeout=GRACE + 30)
    took = time.monotonic() - started
    state = json.loads(podman("inspect", name, "--format", "{{json .State}}").stdout)
    assert took < GRACE - 5, f"stopping took {took:.1f} s"
    assert state["ExitCode"] == 0
    assert "Shutting down: Master" in podman("logs", name).stderr
