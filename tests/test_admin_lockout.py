"""Admin login is throttled: after the failure limit the right password no longer logs in (django-axes)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def admin_user():
    return User.objects.create_superuser("admin", "admin@example.com", "right-password")


def _login(client, password: str, address: str = "198.51.100.7"):  # noqa: ANN001
    return client.post(LOGIN, {"username": "admin", "password": password}, REMOTE_ADDR=address)


def test_wrong_passwords_lock_the_login_out_even_for_the_right_password(client, admin_user, settings):
    settings.AXES_FAILURE_LIMIT = 5
    for _ in range(4):
        assert _login(client, "guess").status_code == 200  # the form again, with an error
    assert _login(client, "guess").status_code == 429  # the fifth failure locks out

    locked = _login(client, "right-password")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session

    other_address = _login(client, "right-password", address="198.51.100.8")
    assert other_address.status_code == 302  # the lock is per username and address: no lock-out by strangers
    assert client.session["_auth_user_id"] == str(admin_user.pk)


def test_a_successful_login_resets_the_count_and_axes_reset_unlocks(client, admin_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _login(client, "guess")
    _login(client, "guess")
    assert _login(client, "right-password").status_code == 302
    client.logout()
    _login(client, "guess")
    assert _login(client, "guess").status_code == 200  # two failures since the success: not locked

    assert _login(client, "guess").status_code == 429
    call_command("axes_reset", verbosity=0)
    assert _login(client, "right-password").status_code == 302
