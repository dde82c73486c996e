"""Real Socket.IO clients (python-socketio over websockets) against running servers on free ports:
one in-process server, and, with MDA_TEST_REDIS_URL, two server processes sharing Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import socketio
from werkzeug.serving import make_server

from mda.core import clock
from tests.conftest import REDIS_URL, AuthActions, csrf_token

UA = "mda-live-test"
ROOT = Path(__file__).resolve().parents[2]


class RealClient:
    """A python-socketio client logged in through the Flask test client's session cookie."""

    def __init__(self, app, user):
        from sqlmodel import Session

        http = app.test_client()
        http.environ_base["HTTP_USER_AGENT"] = UA
        with Session(app.extensions["mda_engine"]) as s:
            assert AuthActions(app, http, s).login(user).status_code == 302
        self.token = csrf_token(app, http)
        name = app.config["SESSION_COOKIE_NAME"]
        self.cookie = f"{name}={http.get_cookie(name).value}"
        self.events: list[tuple[str, dict]] = []
        self.arrived = threading.Event()
        self.sio = socketio.Client(reconnection=False, websocket_extra_options={"suppress_origin": True})
        for name in ("melding", "controle", "fout"):
            self.sio.on(name, self._handler(name), namespace="/live")

    def _handler(self, name):
        def handle(data):
            self.events.append((name, data))
            self.arrived.set()
        return handle

    def connect(self, url: str, *, cookie: bool = True):
        # the browser sends the page's origin; the server accepts only MDA_BASE_URL's
        headers = {"User-Agent": UA, "Origin": "http://mda.test", **({"Cookie": self.cookie} if cookie else {})}
        self.sio.connect(url, namespaces=["/live"], headers=headers, auth={"csrf": self.token},
                         transports=["websocket"], wait_timeout=30)

    def call(self, event: str, body: dict | None = None) -> dict:
        return self.sio.call(event, body or {}, namespace="/live", timeout=10)

    def wait_for(self, name: str, timeout: float = 10) -> bool:
        """Wait until an event called *name* arrived (a bound on waiting, not a speed assertion)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(n == name for n, _ in self.events):
                return True
            self.arrived.wait(0.1)
            self.arrived.clear()
        return False


@pytest.fixture
def server(app):
    """The app served on a free port in a thread (websockets through simple-websocket).

    The suite builds several apps on the one ``socketio`` object; a fresh Socket.IO server is bound
    to this app (origin http://mda.test, no message queue) so that emits and the served sockets meet.
    """
    from mda.extensions import socketio as flask_socketio

    original = app.wsgi_app
    flask_socketio.server_options.pop("client_manager", None)
    flask_socketio.init_app(app, message_queue=None, cors_allowed_origins=["http://mda.test"], manage_session=False)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    app.wsgi_app = original


@pytest.fixture
def clients():
    opened = []
    yield opened
    for c in opened:
        if c.sio.connected:
            c.sio.disconnect()


def test_real_client_without_login_is_refused(app, server, world, clients):
    """Is a real websocket client without a session cookie refused at connect?"""
    client = RealClient(app, world["users"]["POL"])
    clients.append(client)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server, cookie=False)


def test_next_item_reaches_every_real_client(app, server, world, meeting, clients):
    """Does the chair's "next item" reach another real websocket client, which then sees the new item?"""
    chair, pol = RealClient(app, world["coordinator"]), RealClient(app, world["users"]["POL"])
    clients += [chair, pol]
    for c in (chair, pol):
        c.connect(server)
        assert c.call("deelnemen", {"overleg": meeting.id})["ok"]
    assert chair.call("starten", {"id": "real-start-01"})["ok"]
    pol.events.clear()
    assert chair.call("volgende", {"id": "real-next-001", "punt": meeting.item_a})["ok"]
    assert pol.wait_for("melding")
    assert pol.call("overleg")["overleg"]["huidig_punt"] == meeting.item_a


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_process(app, database_url: str, port: int, tmp: Path) -> subprocess.Popen:
    # the servers must read this app's session cookie, whatever another test left in os.environ
    env = {**os.environ, "MDA_SECRET_KEY": app.config["SECRET_KEY"], "MDA_DATABASE_URL": database_url,
           "MDA_REDIS_URL": REDIS_URL, "MDA_PORT": str(port),
           "MDA_HOST": "127.0.0.1", "MDA_INSTANCE_PATH": str(tmp), "MDA_BASE_URL": "http://mda.test",
           "MDA_CLOCK_START": clock.now().isoformat(),  # the test's instant, not the machine's
           "PYTHONPATH": str(ROOT)}
    tmp.mkdir(parents=True, exist_ok=True)
    log = open(tmp / "server.log", "w")  # noqa: SIM115 - the process writes to it until it ends
    proc = subprocess.Popen([sys.executable, "-m", "mda"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    proc.log_path = tmp / "server.log"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:  # ready when the app answers, not merely when the port is open
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                if b" 200 " in conn.recv(200):
                    return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server process did not start")


def _logs(procs) -> str:
    """The server processes' own output, for a failure message."""
    return "\n".join(p.log_path.read_text(errors="replace")[-3000:] for p in procs if hasattr(p, "log_path"))


@pytest.mark.skipif(not REDIS_URL, reason="needs MDA_TEST_REDIS_URL")
def test_event_crosses_two_server_processes_through_redis(real_wall_clock, app, database_url, world, meeting, clients,
                                                          tmp_path):
    """Does a change made on server process A reach a participant connected to process B (Redis queue)?"""
    ports = [_free_port(), _free_port()]
    procs = [_start_process(app, database_url, port, tmp_path / f"p{i}") for i, port in enumerate(ports)]
    try:
        chair, pol = RealClient(app, world["coordinator"]), RealClient(app, world["users"]["POL"])
        clients += [chair, pol]
        try:
            chair.connect(f"http://127.0.0.1:{ports[0]}")
            pol.connect(f"http://127.0.0.1:{ports[1]}")
        except socketio.exceptions.ConnectionError as exc:
            raise AssertionError(f"{exc}; server output:\n{_logs(procs)}") from exc
        for c in (chair, pol):
            assert c.call("deelnemen", {"overleg": meeting.id})["ok"]
        assert chair.call("starten", {"id": "redis-start-1"})["ok"]
        pol.events.clear()
        assert chair.call("volgende", {"id": "redis-next-01", "punt": meeting.item_a})["ok"]
        assert pol.wait_for("melding")
        assert pol.call("overleg")["overleg"]["huidig_punt"] == meeting.item_a
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
