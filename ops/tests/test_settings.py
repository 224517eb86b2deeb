"""Settings from the environment: a bad value stops the process with one line naming the variable; the
production checks warn (and fail ``check --deploy``) on the built-in secret key or a loopback base URL;
``ocpi_invite`` warns when the versions URL it prints is loopback."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {"DJANGO_SECRET_KEY": "a-real-secret-" + "x" * 40, "OCPI_HUB_BASE_URL": "https://hub.example.com"}


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OCPI_HUB_", "DJANGO_", "PROMETHEUS_"))}
    clean.pop("DATABASE_URL", None)  # the embedded SQLite file under tmp_path
    clean.update({"DJANGO_SETTINGS_MODULE": "ocpi_hub.settings.base", "OCPI_HUB_VAR_DIR": str(tmp_path), **env})
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OCPI_HUB_PAGE_LIMIT", "abc"),
        ("OCPI_HUB_READ_TIMEOUT", "soon"),
        ("OCPI_HUB_READ_TIMEOUT", "nan"),
        ("DJANGO_DEBUG", "maybe"),
        ("OCPI_HUB_BENCH_ENDPOINT", "enabled"),
        ("OCPI_HUB_DISPATCH", "pigeon"),
        ("OCPI_HUB_LOG_FORMAT", "xml"),
        ("OCPI_HUB_OPS_ACCESS", "everyone"),
        ("DATABASE_URL", "nosuchdb://x/y"),
        ("CELERY_BROKER_URL", "127.0.0.1:6379"),
        ("OCPI_HUB_BASE_URL", "hub.example.com"),
        ("OCPI_HUB_COUNTRY_CODE", "NLD"),
        ("DJANGO_SECRET_KEY_FILE", "/nonexistent/secret"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(tmp_path, name, value):
    done = manage(tmp_path, "check", **{name: value})
    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith(f"Invalid setting {name}={value!r}: expected ")


@pytest.mark.parametrize("word", ["1", "true", "YES", "on", "0", "false", "no", "off"])
def test_booleans_take_the_usual_words(tmp_path, word):
    assert manage(tmp_path, "check", OCPI_HUB_BENCH_ENDPOINT=word, **PRODUCTION).returncode == 0


def test_builtin_secret_and_loopback_url_warn_and_fail_the_deploy_check(tmp_path):
    normal = manage(tmp_path, "check")
    assert normal.returncode == 0
    assert "ops.W001" in normal.stderr
    assert "ops.W002" in normal.stderr
    deploy = manage(tmp_path, "check", "--deploy")
    assert deploy.returncode != 0
    assert "ops.E001" in deploy.stderr
    assert "ops.E002" in deploy.stderr


def test_production_settings_pass_the_hub_checks(tmp_path):
    done = manage(tmp_path, "check", "--deploy", "--fail-level", "ERROR", **PRODUCTION)
    assert done.returncode == 0, done.stderr
    assert "ops." not in done.stderr + done.stdout


def test_secure_cookie_and_hsts_settings_are_read(tmp_path):
    script = "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    env = {"DJANGO_SESSION_COOKIE_SECURE": "true", "DJANGO_SECURE_HSTS_SECONDS": "31536000"}
    done = manage(tmp_path, "shell", "--no-imports", "-c", script, **env)
    assert done.stdout.split() == ["True", "31536000"]


@pytest.mark.django_db
@pytest.mark.parametrize(("base_url", "warned"), [("http://127.0.0.1:8000", True), ("https://hub.example.com", False)])
def test_ocpi_invite_warns_about_a_loopback_versions_url(settings, base_url, warned):
    settings.OCPI_HUB_BASE_URL = base_url
    out, err = io.StringIO(), io.StringIO()
    call_command("ocpi_invite", "--name", "Acme", "--json", stdout=out, stderr=err)
    assert json.loads(out.getvalue())["versions_url"] == f"{base_url}/ocpi/versions"
    assert ("loopback address" in err.getvalue()) is warned
