"""The per-process token cache (issue 19, item 2): a rotated, suspended, unregistered or deleted platform's
token is refused at once by every gunicorn worker process, and the generation row changes with every
change of a platform that a request's checks read."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from django.db import connection
from django.utils import timezone

from ocpi_hub.api.authentication import encode_token
from ops.tests.servers import GunicornHub
from parties.models import ConnectionStatus, Endpoint, Platform, PlatformRole
from parties.rows import auth_generation
from parties.selectors import credential_for_token
from parties.services.credentials import credentials_unregister
from parties.tokens import generate_token, hash_token
from tests.factories import PlatformFactory, party_platform

VOLATILE = {"last_seen_at", "last_alive_check_at", "unauthorized_count", "updated_at"}


def _platform(token: str, name: str = "CPO A") -> Platform:
    return party_platform(
        name,
        "CPO",
        "NL",
        "TCA",
        version="2.2.1",
        token_in_hash=hash_token(token),
        token_out=generate_token(),
        registered_at=timezone.now(),
    )


def _access_log(tmp_path: Path) -> Path:
    return tmp_path / "access.log"


def _answers(log: Path) -> list[tuple[int, int]]:
    """(worker pid, status) of every request the access log has so far."""
    rows = []
    for line in log.read_text().splitlines() if log.exists() else []:
        pid, status = line.split()
        rows.append((int(pid.strip("<>")), int(status)))
    return rows


def _until_both_workers_answer(hub: GunicornHub, log: Path, token: str, expected: int) -> None:
    """GET /ocpi/versions with ``token`` until each of the two workers has answered it; every answer must be
    ``expected``."""
    already = len(_answers(log))
    for _ in range(400):
        answer = requests.get(
            f"{hub.url}/ocpi/versions", headers={"Authorization": f"Token {encode_token(token)}"}, timeout=10
        )
        assert answer.status_code == expected, answer.text
        time.sleep(0.002)
        for _ in range(50):  # gunicorn writes the access line just after the answer
            rows = _answers(log)[already:]
            if len(rows) >= 1:
                break
            time.sleep(0.01)
        rows = _answers(log)[already:]
        assert {status for _, status in rows} <= {expected}
        if len({pid for pid, _ in rows}) == 2:
            return
    pytest.fail("one gunicorn worker never answered")


def _rotate(platform: Platform) -> str:
    new_token = generate_token()  # as the hub-initiated rotation writes it (parties/services/credentials.py)
    Platform.objects.filter(pk=platform.pk).update(token_in_hash=hash_token(new_token))
    return new_token


def _suspend(platform: Platform) -> None:
    platform.status = ConnectionStatus.SUSPENDED  # as the admin does
    platform.save()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_rotate, id="rotated"),
        pytest.param(_suspend, id="suspended"),
        pytest.param(lambda platform: credentials_unregister(platform=platform), id="unregistered"),
        pytest.param(lambda platform: platform.delete() and None, id="deleted"),
    ],
)
def test_an_old_token_is_refused_at_once_by_both_gunicorn_workers(
    transactional_db: None, tmp_path: Path, change: Callable[[Platform], str | None]
) -> None:
    token = generate_token()
    platform = _platform(token)
    log = _access_log(tmp_path)
    env = {"GUNICORN_CMD_ARGS": f"--access-logfile {log} --access-logformat '%(p)s %(s)s'"}
    hub = GunicornHub(tmp_path, workers=2, env=env).start()
    try:
        _until_both_workers_answer(hub, log, token, 200)  # both workers now hold the token in their cache
        new_token = change(platform)
        _until_both_workers_answer(hub, log, token, 401)
        if new_token is not None:
            _until_both_workers_answer(hub, log, new_token, 200)
    finally:
        hub.stop()


def test_in_process_cache_sees_an_update_that_bypasses_the_orm_save(db: None) -> None:
    token = generate_token()
    platform = _platform(token)
    first = credential_for_token(token)
    assert first is not None
    assert first[0].pk == platform.pk
    again = credential_for_token(token)
    assert again is not None
    assert again[0] is not first[0]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE parties_platform SET status = 'SUSPENDED' WHERE id = %s", [platform.pk])
    found = credential_for_token(token)
    assert found is not None
    assert found[0].is_suspended


def test_a_cached_platform_is_touched_once_per_30_seconds_not_on_every_request(db: None) -> None:
    token = generate_token()
    platform = _platform(token)
    Platform.objects.filter(pk=platform.pk).update(last_seen_at=timezone.now() - timezone.timedelta(minutes=5))
    writes = []
    with connection.execute_wrapper(lambda execute, sql, *args: writes.append(sql) or execute(sql, *args)):
        for _ in range(3):
            found = credential_for_token(token)
            assert found is not None
            found[0].touch()
    assert len([sql for sql in writes if sql.startswith("UPDATE") and "last_seen_at" in sql]) == 1


def test_every_watched_platform_column_changes_the_generation(db: None) -> None:
    platform = _platform(generate_token())
    other = PlatformFactory(name="eMSP B", status=ConnectionStatus.PLANNED, version="", token_out="")
    values: dict[str, object] = {
        "name": "renamed",
        "status": ConnectionStatus.OFFLINE,
        "version": "2.3.0",
        "versions_url": "https://example.com/v",
        "token_in_hash": hash_token("x"),
        "token_in_is_registration": True,
        "token_out": "other",
        "token_base64": False,
        "strictness": "strict",
        "extension_opt_in": True,
        "hub_party_id": "HUB",
        "registered_at": None,
        "needs_attention": True,
        "attention_reason": "why",
        "created_at": timezone.now(),
    }
    columns = {field.attname for field in Platform._meta.concrete_fields} - {"id"}
    assert columns - VOLATILE == set(values), "a new Platform column: watch it (migration 0005) or list it"
    for column, new in values.items():
        before = auth_generation()
        Platform.objects.filter(pk=platform.pk).update(**{column: new})
        assert auth_generation() != before, column
    for column in VOLATILE:
        before = auth_generation()
        Platform.objects.filter(pk=platform.pk).update(**{column: timezone.now() if "_at" in column else 3})
        assert auth_generation() == before, column

    changes = [  # creating a role or an endpoint row is the change under test: plain ORM creates on purpose
        lambda: PlatformRole.objects.filter(platform=platform).update(party_id="TCB"),
        lambda: PlatformRole.objects.create(platform=platform, role="EMSP", country_code="NL", party_id="TCE"),
        lambda: PlatformRole.objects.filter(platform=platform, role="EMSP").delete(),
        lambda: Endpoint.objects.create(platform=platform, identifier="cdrs", role="SENDER", url="https://e.x/c"),
        lambda: Endpoint.objects.filter(platform=platform).update(url="https://e.x/d"),
        lambda: Endpoint.objects.filter(platform=platform).delete(),
        lambda: platform.linked_platforms.add(other),
        lambda: platform.linked_platforms.remove(other),
    ]
    for number, make_change in enumerate(changes):
        before = auth_generation()
        make_change()
        assert auth_generation() != before, number
