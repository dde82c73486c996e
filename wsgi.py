"""Entry point for gunicorn: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app`` (gthread, 32 threads).

Socket.IO runs in threading mode; with several gunicorn processes set
``MDA_REDIS_URL`` so that broadcasts reach clients of every process.
"""

from mda import create_app
from mda.core.runtime import tune_garbage_collector

app = create_app()
tune_garbage_collector()
