"""The WSGI application gunicorn serves (``manage.py runhub``, docs/operations.md)."""

from __future__ import annotations

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ocpi_hub.settings.base")
application = get_wsgi_application()

# Everything loaded so far (Django, the apps, their modules) lives as long as the worker: moved out of the
# garbage collector's reach, a full collection only walks what requests allocated. Without this, full
# collections over the whole heap made some page renders ~50 % slower than others (docs/performance.md, E2).
gc.freeze()
