"""gunicorn configuration for production (``gunicorn -c python:ops.gunicorn``, see Procfile).

Metrics: a fresh PROMETHEUS_MULTIPROC_DIR each time the master starts (counters restart at zero, which
Prometheus handles), and a worker's live-gauge files are dropped when it exits.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

wsgi_app = "ocpi_hub.wsgi:application"
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 60
graceful_timeout = 20
max_requests = 5000
max_requests_jitter = 500
accesslog = None  # the hub writes its own access log line (ops.middleware), with the request id
errorlog = "-"


def on_starting(server: Any) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
