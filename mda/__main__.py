"""Development server: ``python -m mda`` (``make run``) on http://127.0.0.1:5000.

Serves pages and Socket.IO from one process. Production runs gunicorn (see README).
``MDA_CLOCK_START`` (an ISO instant) starts the application's clock at that moment and lets it
run on, so a demo or a browser test shows the same days whatever the date; only this development
server reads it, never gunicorn.
"""

import os
from datetime import datetime

from mda import create_app
from mda.core import clock
from mda.extensions import socketio


def main() -> None:
    """Serve the app with the Werkzeug development server."""
    if os.environ.get("MDA_CLOCK_START"):
        clock.set_now(datetime.fromisoformat(os.environ["MDA_CLOCK_START"]), tick=True)
    app = create_app()
    host = os.environ.get("MDA_HOST", "127.0.0.1")
    port = int(os.environ.get("MDA_PORT", "5000"))
    if app.config.get("SCHEDULER_MINUTES"):
        from mda.jobs import start_scheduler

        start_scheduler(app, minutes=app.config["SCHEDULER_MINUTES"])
    from mda.core.runtime import tune_garbage_collector

    tune_garbage_collector()
    print(f"MDA++ draait op http://{host}:{port}  (stoppen: Ctrl+C)")  # noqa: T201
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False)


if __name__ == "__main__":
    main()
