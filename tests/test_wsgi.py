"""The WSGI entry point gunicorn loads."""

from __future__ import annotations

import subprocess
import sys


def test_loading_the_application_takes_the_startup_objects_out_of_garbage_collection(tmp_path):
    script = (
        "import gc, ocpi_hub.wsgi as wsgi; "
        "assert callable(wsgi.application); "
        "print(gc.get_freeze_count(), len(gc.get_objects()))"
    )
    env = {"DJANGO_SETTINGS_MODULE": "ocpi_hub.settings.base", "OCPI_HUB_VAR_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env, check=True
    )
    frozen, tracked = map(int, done.stdout.split())
    assert frozen > 10_000  # Django and the hub's modules
    assert tracked < frozen / 10
