"""``python -m bench.live_profile [viewers] [changes] [--plain]``: where one live change spends its time (pyinstrument).

Seeds the live bench's meeting (:func:`bench.live.seed`: one case item, *viewers* professionals of one
organisation in its circle; default 50) in a temporary SQLite database, joins them all to the item's room
with Flask-SocketIO's in-process test clients (real session cookies and CSRF tokens, every event through the
guard), and has the first one save a minutes piece *changes* times (default 300), each pushed to everyone.
Prints the time per change (p50 / p90, wall and CPU) and pyinstrument's call tree of the saves; with ``--plain``
only the times, measured without the profiler (for comparing two versions of the code).

In process, so without the network and the sampling troubles of a threaded server (py-spy cannot keep up with
one thread per socket); the test clients' own emit costs more than a websocket's, so the emit's share is
overstated. For the end-to-end figures against a bare broadcast use ``python -m bench.live``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from pyinstrument import Profiler

from bench import live


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--plain"]
    plain = "--plain" in sys.argv[1:]
    viewers = int(args[0]) if args else 50
    changes = int(args[1]) if len(args) > 1 else 300
    tmp = Path(tempfile.mkdtemp(prefix="mda-live-profile-"))
    url = f"sqlite:///{tmp / 'live.sqlite'}"
    ids = live.seed(url, viewers)

    from mda import create_app
    from mda.core.runtime import tune_garbage_collector
    from mda.extensions import socketio

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": live.SECRET, "BASE_URL": live.ORIGIN,
                      "INSTANCE_PATH": str(tmp), "RATELIMIT_ENABLED": False, "LIVE_RATE_LIMIT": (10**9, 10)})
    clients = []
    for cookie, token in ids["cookies"][: viewers + 1]:
        http = app.test_client()
        name, _, value = cookie.partition("=")
        http.set_cookie(name, value)
        client = socketio.test_client(app, namespace="/live", flask_test_client=http, auth={"csrf": token},
                                      headers={"User-Agent": live.UA, "Origin": live.ORIGIN})
        for event, body in (("deelnemen", {"overleg": ids["meeting"]}), ("punt", {"punt": ids["item"]})):
            answer = client.emit(event, body, namespace="/live", callback=True)
            if not answer.get("ok"):
                raise SystemExit(f"{event} refused: {answer}")
        clients.append(client)
    writer = clients[0]
    piece = writer.emit("stuk_nieuw", {"id": "profile-piece-1", "punt": ids["item"], "tekst": "Begin"},
                        namespace="/live", callback=True)
    version = piece["versie"]
    tune_garbage_collector()
    walls, cpus = [], []
    profiler = Profiler(interval=0.0005)
    if not plain:
        profiler.start()
    for rnd in range(changes):
        wall, cpu = time.perf_counter(), time.thread_time()
        answer = writer.emit("stuk_opslaan", {"id": f"profile-{rnd:06d}", "stuk": piece["stuk"], "versie": version,
                                              "tekst": "Notulen " + "x" * 200 + f" {rnd}"},
                             namespace="/live", callback=True)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.thread_time() - cpu) * 1000)
        if not answer.get("ok"):
            raise SystemExit(f"save refused: {answer}")
        version = answer["versie"]
        if rnd % 10 == 0:  # keep the test clients' queues short
            for client in clients:
                client.get_received("/live")
    walls.sort()
    cpus.sort()
    if not plain:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))  # noqa: T201
    print(f"{viewers} viewers, {changes} changes: save + push p50 {walls[len(walls) // 2]:.2f} ms, "  # noqa: T201
          f"p90 {walls[int(len(walls) * 0.9)]:.2f} ms; CPU p50 {cpus[len(cpus) // 2]:.2f} ms")


if __name__ == "__main__":
    main()
