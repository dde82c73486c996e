"""gunicorn settings for MDA++: the README's deployment and ``python -m bench`` both use this file.

``gunicorn -c deploy/gunicorn.conf.py -b 127.0.0.1:8001 wsgi:app``. One process with threads: Socket.IO runs in
threading mode (``mda/extensions.py``) and a websocket holds a thread, so size ``threads`` above the sockets
expected per process and add processes behind the proxy rather than workers inside one. Options on the
command line (or in ``GUNICORN_CMD_ARGS``) override this file, e.g. ``--threads 200`` for a large live session.
"""

worker_class = "gthread"
workers = 1
threads = 32
# on a restart or deploy, requests in flight get this long to finish before their threads are stopped
graceful_timeout = 30
