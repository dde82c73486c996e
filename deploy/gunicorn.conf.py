"""gunicorn settings for MDA++: the container image, the README's deployment and ``python -m bench`` use this file.

``gunicorn -c deploy/gunicorn.conf.py -b 127.0.0.1:8001 wsgi:app``. One process with threads: Socket.IO runs in
threading mode (``mda/extensions.py``) and a websocket holds a thread, so size ``threads`` above the sockets
expected per process and add processes (replicas) behind the proxy rather than workers inside one. Options on the
command line (or in ``GUNICORN_CMD_ARGS``) override this file, e.g. ``--threads 200`` for a large live session.

In a container (``Containerfile``) gunicorn is PID 1: SIGTERM from the kubelet starts a graceful shutdown that
stops accepting, lets requests in flight finish for ``MDA_GRACEFUL_TIMEOUT`` seconds (keep it below the pod's
``terminationGracePeriodSeconds``) and then exits. With ``MDA_METRICS_PORT`` set, a second listener serves
``/metrics`` only (``mda/core/metrics.py``); the public port never does.
"""

import json
import os
import shutil

worker_class = "gthread"
workers = int(os.environ.get("MDA_WORKERS", "1"))
threads = int(os.environ.get("MDA_THREADS", "32"))
bind = [os.environ.get("MDA_BIND", "127.0.0.1:8000")]
# on SIGTERM (a deploy, a node drain), requests in flight get this long to finish before their threads are stopped
graceful_timeout = int(os.environ.get("MDA_GRACEFUL_TIMEOUT", "25"))
# the heartbeat file lives in memory: the root file system may be read-only
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 (a tmpfs, not a shared temp file)
# gunicorn 27's control socket would want $HOME or $XDG_RUNTIME_DIR; nothing here uses it
control_socket_disable = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"

from gunicorn.glogging import Logger  # noqa: E402


class JsonAccessLogger(Logger):
    """One JSON object per request on stdout: what a cluster's log collector parses without a pattern.

    No address, user agent, query string or referrer (personal data, tokens); the path goes through the same
    redaction as the application's own logs, so set-password and feed tokens never reach a log line.
    """

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        from mda.core.redact import redact

        atoms = self.atoms(resp, req, environ, request_time)
        line = {"time": atoms["t"].strip("[]"), "log": "access", "method": atoms["m"], "path": redact(atoms["U"]),
                "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
                "bytes": int(atoms["B"]) if str(atoms["B"]).isdigit() else 0, "duration_ms": int(atoms["M"])}
        try:
            self.access_log.info(json.dumps(line, ensure_ascii=False))
        except Exception:  # a log line must never take a request down
            self.exception("access log")


logger_class = JsonAccessLogger


def on_starting(server):
    """Add the metrics listener and start prometheus_client's multi-process folder empty."""
    metrics_port = os.environ.get("MDA_METRICS_PORT")
    if metrics_port:
        address = f"{os.environ.get('MDA_METRICS_HOST', '0.0.0.0')}:{metrics_port}"  # noqa: S104 (cluster-only port)
        if address not in server.cfg.bind:
            server.cfg.set("bind", [*server.cfg.bind, address])
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


def post_fork(server, worker):
    """Let glibc keep large buffers in the worker's malloc arenas (``MDA_MALLOC_KEEP_MB``, default 32; 0: glibc's
    defaults). A request thread that handles a 10 MB document allocates a few 10 MB buffers (the stored value, the
    plain text, the watermarked copy); by default each is a fresh mmap, returned on free and faulted in again page
    by page (2,560 faults, ~5 ms per buffer, a third of a 10 MB download). Buffers up to this size then come from
    the arena and its freed memory is kept for the next request (trimmed above four times the size)."""
    _keep_large_buffers(int(os.environ.get("MDA_MALLOC_KEEP_MB", "32")))


def _keep_large_buffers(megabytes: int) -> None:
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if megabytes <= 0 or not name or not hasattr(ctypes.CDLL(name), "mallopt"):  # not glibc (musl): nothing to tune
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
    libc = ctypes.CDLL(name)
    size = min(megabytes, 32) * 1024 * 1024  # glibc caps the mmap threshold at 32 MB on 64-bit
    libc.mallopt(m_mmap_threshold, size)
    libc.mallopt(m_trim_threshold, 4 * size)


def child_exit(server, worker):
    """A worker ended: its live gauges no longer count (prometheus_client multi-process mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
