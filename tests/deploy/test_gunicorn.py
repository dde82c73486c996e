"""deploy/gunicorn.conf.py as the image runs it, without a container: JSON access log, metrics listener, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    """Status and body of a GET; 0 when nothing answers (yet)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""
    except (urllib.error.URLError, OSError):  # refused, or accepted by the master before the worker booted
        return 0, ""


@pytest.fixture
def server(database_url, tmp_path):
    """gunicorn with the deployment's config on free ports, as PID 1 would run it; yields (web, metrics, process)."""
    web, metrics = free_port(), free_port()
    env = {**os.environ, "MDA_DATABASE_URL": database_url, "MDA_BIND": f"127.0.0.1:{web}",
           "MDA_METRICS_PORT": str(metrics), "MDA_METRICS_HOST": "127.0.0.1",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "MDA_GRACEFUL_TIMEOUT": "5"}
    log = (tmp_path / "gunicorn.log").open("w+")
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),  # noqa: S603
                                "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while get(f"http://127.0.0.1:{web}/healthz/live")[0] != 200:
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            pytest.fail(f"gunicorn did not start:\n{log.read()}")
        time.sleep(0.2)
    yield f"http://127.0.0.1:{web}", f"http://127.0.0.1:{metrics}", process, log
    if process.poll() is None:
        process.kill()
        process.wait(10)


def test_access_log_is_json_without_tokens_or_query(server):
    """Is each request one JSON line with method, path, status and duration, with a set-password token and the
    query string left out?"""
    web, _metrics, process, log = server
    get(f"{web}/wachtwoord-instellen/GEHEIM-TOKEN-123?email=iemand@example.org")
    process.send_signal(signal.SIGTERM)
    process.wait(20)
    log.seek(0)
    lines = [json.loads(line) for line in log.read().splitlines() if line.startswith("{")]
    entry = next(line for line in lines if line["path"].startswith("/wachtwoord-instellen/"))
    assert entry["path"] == "/wachtwoord-instellen/[verborgen]"
    assert {"time", "method", "status", "duration_ms", "bytes"} <= entry.keys()
    text = json.dumps(lines)
    assert "GEHEIM-TOKEN-123" not in text and "example.org" not in text


def test_metrics_answer_on_their_own_listener_only(server):
    """Does the config bind the metrics port beside the web port, /metrics served there and 404 on the web port?"""
    web, metrics, _process, _log = server
    get(f"{web}/healthz/live")
    assert get(f"{web}/metrics")[0] == 404
    code, body = get(f"{metrics}/metrics")
    assert code == 200
    assert 'mda_http_requests_total{method="GET",route="/healthz/live",status="200"}' in body  # multi-process files


def test_sigterm_lets_a_request_in_flight_finish(server, tmp_path):
    """When SIGTERM arrives during a request, does that request still get its answer and gunicorn exit 0 promptly?"""
    web, _metrics, process, _log = server
    sock = socket.create_connection(("127.0.0.1", int(web.rsplit(":", 1)[1])), timeout=10)
    sock.sendall(b"GET /healthz/live HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers not finished: the request is open
    time.sleep(0.3)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    sock.sendall(b"\r\n")
    answer = sock.recv(4096).decode()
    sock.close()
    assert process.wait(20) == 0
    assert time.monotonic() - started < 10
    assert answer.startswith("HTTP/1.1 200")
