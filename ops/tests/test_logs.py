"""Structured logs: with OCPI_HUB_LOG_FORMAT=json every line the hub writes is one JSON object carrying the
request's context; the access line carries the X-Request-ID; platform events are logged; tokens never."""

from __future__ import annotations

import json
import logging

from ocpi_hub.api.logcontext import log_bind, log_context
from ocpi_party.party import OcpiParty
from ops.logs import ContextFilter, HubJsonFormatter
from ops.tests.servers import GunicornHub
from parties.services.credentials import platform_invite
from tests.bodies import CPO_ROLE


def _json_lines(output: str) -> list[dict]:
    """The hub's lines (gunicorn's own start/stop lines begin with "[date]")."""
    return [json.loads(line) for line in output.splitlines() if line.strip() and not line.startswith("[")]


def test_json_log_lines_carry_the_request_id_and_never_a_token(transactional_db, tmp_path):
    hub = GunicornHub(tmp_path, env={"OCPI_HUB_LOG_FORMAT": "json"}).start()
    try:
        with OcpiParty(version="2.3.0", roles=[CPO_ROLE]) as party:
            platform, token_a = platform_invite(name="CPO NL")
            party.register_with(f"{hub.url}/ocpi/versions", token_a)
            answer = hub.get("/ocpi/versions", headers={"X-Request-ID": "req-abc-123"})
            assert answer.status_code == 401
            tokens = [token_a, party.token_b, party.token_c]
    finally:
        hub.stop()
    output = hub.output()
    lines = _json_lines(output)  # raises if any line of the hub is not JSON
    access = [line for line in lines if line.get("request_id") == "req-abc-123"]
    assert len(access) == 1
    assert access[0]["logger"] == "ocpi_hub.access"
    assert access[0]["method"] == "GET"
    assert access[0]["path"] == "/ocpi/versions"
    assert access[0]["status"] == 401
    assert access[0]["duration_ms"] >= 0
    assert access[0]["module"] == "versions"
    registered = [line for line in lines if line.get("event") == "platform.registered"]
    assert len(registered) == 1
    assert registered[0]["platform"] == platform.pk
    assert registered[0]["module"] == "credentials"
    assert registered[0]["request_id"]
    assert all(token and token not in output for token in tokens)


def _format(record_extra: dict) -> dict:
    record = logging.LogRecord("parties", logging.INFO, __file__, 1, "Something happened", None, None)
    record.__dict__.update(record_extra)
    ContextFilter().filter(record)
    return json.loads(HubJsonFormatter().format(record))


def test_the_json_formatter_adds_the_bound_context_and_redacts_secrets():
    with log_context(request_id="r-1", correlation_id="c-1", ocpi_module="cdrs"):
        log_bind(platform=7, object_key="NL/CPO/CDR1")
        line = _format({"token": "abc", "authorization": "Token xyz", "status": 200})
    assert line["message"] == "Something happened"
    assert line["level"] == "INFO"
    assert line["logger"] == "parties"
    assert line["timestamp"]
    assert (line["request_id"], line["correlation_id"], line["platform"]) == ("r-1", "c-1", 7)
    assert (line["module"], line["object_key"]) == ("cdrs", "NL/CPO/CDR1")
    assert line["token"] == line["authorization"] == "[redacted]"
    assert line["status"] == 200
    assert "request_id" not in _format({})  # outside a request: no stale context


def test_a_celery_worker_logs_json_lines_too(transactional_db):
    from conftest import Worker

    worker = Worker("http://127.0.0.1:9", extra_env={"OCPI_HUB_LOG_FORMAT": "json"})
    try:
        worker.start()
        output = worker.log.read_text(errors="replace")
    finally:
        worker.stop()
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    ready = [record for record in records if record["message"].endswith("ready.")]
    assert len(ready) == 1
    assert ready[0]["level"] == "INFO"
    assert ready[0]["logger"].startswith("celery")


def test_the_object_key_follows_the_url():
    from ops.middleware import _object_key

    kwargs = {"version": "2.2.1", "country_code": "NL", "party_id": "CPO", "location_id": "L1", "evse_uid": "E1"}
    assert _object_key({**kwargs, "connector_id": "2"}) == "NL/CPO/L1/E1/2"
    assert _object_key({"version": "2.3.0"}) == ""
