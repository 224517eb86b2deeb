"""The Celery app. Broker: kombu's filesystem transport by default, Redis via CELERY_BROKER_URL."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ocpi_hub.settings.base")

app = Celery("ocpi_hub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _create_broker_dirs(sender: Celery, **kwargs: object) -> None:
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


@setup_logging.connect
def _use_the_hub_logging(**kwargs: object) -> None:
    """Workers and beat log like the web (settings.LOGGING: plain or JSON lines with the context fields)."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
