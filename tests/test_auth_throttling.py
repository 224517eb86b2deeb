"""Failed token authentication is throttled per client address (HTTP 429 + Retry-After); valid tokens never are."""

from __future__ import annotations

import base64
import uuid

import pytest
import requests
from django.core.cache import cache

from ocpi_hub.api.throttle import failure_key
from parties.services.credentials import platform_invite

pytestmark = pytest.mark.django_db(transaction=True)


def _address() -> str:
    """A fresh client address per test run: the counters live in the shared cache (Redis in CI)."""
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


def _get(hub, token: str | None, address: str) -> requests.Response:  # noqa: ANN001
    headers = {"X-Forwarded-For": address}
    if token is not None:
        headers["Authorization"] = "Token " + base64.b64encode(token.encode()).decode()
    return requests.get(f"{hub.url}/ocpi/versions", headers=headers, timeout=10)


@pytest.fixture
def throttled(settings):  # noqa: ANN001
    settings.OCPI_HUB_AUTH_FAILURE_LIMIT = 3
    settings.OCPI_HUB_AUTH_FAILURE_WINDOW = 600.0
    settings.OCPI_HUB_TRUSTED_PROXIES = 1


def test_bad_tokens_past_the_limit_get_429_with_retry_after(hub, throttled):
    attacker = _address()
    answers = [_get(hub, "not-a-token", attacker) for _ in range(3)]
    assert [a.status_code for a in answers] == [401, 401, 401]

    blocked = _get(hub, "not-a-token", attacker)
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 600
    body = blocked.json()
    assert body["status_code"] == 2000
    assert "Too many failed authentications" in body["status_message"]
    assert _get(hub, None, attacker).status_code == 429  # a missing token counts as a failure too

    assert _get(hub, "not-a-token", _address()).status_code == 401  # another client is not affected


def test_a_valid_token_is_never_throttled(hub, throttled):
    _, token = platform_invite(name="Legitimate party")
    shared = _address()
    for _ in range(5):
        _get(hub, "wrong", shared)
    assert _get(hub, "wrong", shared).status_code == 429

    answer = _get(hub, token, shared)
    assert answer.status_code == 200
    assert answer.json()["status_code"] == 1000


def test_forwarded_for_is_ignored_without_trusted_proxies(hub, throttled, settings):
    """Without a trusted proxy the client could write any X-Forwarded-For: the count is per connection address."""
    settings.OCPI_HUB_TRUSTED_PROXIES = 0
    cache.delete(failure_key("127.0.0.1"))
    try:
        answers = [_get(hub, "wrong", _address()).status_code for _ in range(4)]
    finally:
        cache.delete(failure_key("127.0.0.1"))
    assert answers == [401, 401, 401, 429]
