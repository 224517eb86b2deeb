"""The Celery app. Broker: the hub's SQLite-file transport by default (ocpi_hub/broker.py), Redis via
CELERY_BROKER_URL."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import setup_logging

import ocpi_hub.broker  # noqa: F401 - registers the hubqueue:// transport

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ocpi_hub.settings.base")

app = Celery("ocpi_hub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _use_the_hub_logging(**kwargs: object) -> None:
    """Workers and beat log like the web (settings.LOGGING: plain or JSON lines with the context fields)."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
