"""The push path under real traffic (issue 11): bursts of Location PUTs and EVSE PATCHes from concurrent
clients, fanned out to several eMSPs by a real worker, on PostgreSQL + Redis and on the embedded default
(``manage.py runhub`` on SQLite and the hub's own broker file). Every eMSP must end with the newest state
of every Location, and the worker must never exit."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from conftest import ROOT, Worker
from ocpi_party.party import OcpiParty
from parties.models import Delivery
from tests.bodies import CPO_ROLE, location, ts
from tests.factories import register
from tests.test_delivery_engine import LOCATIONS, received_state, wait_until
from tests.test_runhub import Hub, _wait_for

STATUSES = ["AVAILABLE", "CHARGING", "BLOCKED", "OUTOFORDER", "RESERVED"]
PUSHES, LOCATION_COUNT, CLIENTS, EMSPS = 2000, 50, 8, 5


def emsp_role(number: int) -> dict:
    return {"role": "EMSP", "country_code": "DE", "party_id": f"E{number:02d}", "business_details": {"name": "e"}}


def burst(cpo: OcpiParty, *, pushes: int = PUSHES) -> dict[str, list[str]]:
    """``pushes`` pushes from CLIENTS threads, each owning some Locations (so each Location's pushes are
    in order): a PUT of each, then EVSE status PATCHes. Returns the newest EVSE statuses per Location."""
    newest: dict[str, list[str]] = {}
    errors: list[str] = []
    lock = threading.Lock()
    base = cpo.hub_url("locations", "RECEIVER")

    def client(number: int) -> None:
        mine = [f"LOC{i}" for i in range(LOCATION_COUNT) if i % CLIENTS == number]
        budget = pushes // CLIENTS
        for location_id in mine:
            _send(cpo, "PUT", f"{base}/NL/CPO/{location_id}", location(location_id, last_updated=ts()), errors)
            with lock:
                newest[location_id] = ["AVAILABLE", "AVAILABLE"]
        for step in range(budget - len(mine)):
            location_id = mine[step % len(mine)]
            evse = step % 2
            status = STATUSES[(step // len(mine)) % len(STATUSES)]
            body = {"status": status, "last_updated": ts()}
            _send(cpo, "PATCH", f"{base}/NL/CPO/{location_id}/E{evse + 1}", body, errors)
            with lock:
                newest[location_id][evse] = status

    threads = [threading.Thread(target=client, args=(number,)) for number in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:5]
    return newest


def _send(cpo: OcpiParty, method: str, url: str, body: dict, errors: list[str]) -> None:
    response = cpo.call(method, url, json=body)
    if response.json().get("status_code") != 1000:
        errors.append(f"{method} {url}: {response.text[:200]}")


def evse_statuses(party: OcpiParty) -> dict[str, list[str]]:
    return {key: [e["status"] for e in doc["evses"]] for key, doc in received_state(party).items()}


def wait_converged(emsps: list[OcpiParty], newest: dict[str, list[str]], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    for emsp in emsps:
        while evse_statuses(emsp) != newest:
            if time.monotonic() > deadline:
                behind = {k: v for k, v in evse_statuses(emsp).items() if newest.get(k) != v}
                raise AssertionError(f"{emsp} not converged: {len(behind)} Locations behind, e.g. {list(behind)[:3]}")
            time.sleep(0.5)


@pytest.fixture
def emsps(hub) -> Iterator[list[OcpiParty]]:  # noqa: ANN001
    parties = [OcpiParty(version="2.2.1", roles=[emsp_role(n)]).start() for n in range(EMSPS)]
    try:
        for number, party in enumerate(parties):
            register(hub.url, party, f"eMSP {number}")
        yield parties
    finally:
        for party in parties:
            party.stop()


@pytest.mark.django_db(transaction=True)
def test_a_burst_from_8_clients_reaches_5_emsps_newest_last(cpo, emsps, celery_worker: Worker, requires_postgres):
    newest = burst(cpo)

    wait_converged(emsps, newest)
    assert celery_worker.process is not None
    assert celery_worker.process.poll() is None
    wait_until(
        lambda: not Delivery.objects.filter(module="locations", status__in=["pending", "in_flight"]).exists(),
        timeout=60,
        what="an empty outbox",
    )
    assert not Delivery.objects.filter(status__in=["failed", "dead"]).exists()
    # Far fewer drain messages than pushes: the log counts every message the worker received.
    received = celery_worker.log.read_text().count("parties.tasks.drain_receiver[")
    assert received < PUSHES * EMSPS / 4


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_a_slow_send_from_being_sent_twice(cpo, emsp, hub):
    """A receiver that takes longer than the lease to answer gets the push once: the worker's heartbeat
    renews the lease while it waits, so the sweeper does not take the row for lost."""
    worker = Worker(hub.url, extra_env={"OCPI_HUB_DELIVERY_LEASE": "1.2"}).start()
    try:
        emsp.respond_with(delay=4.0, times=1, path_regex=LOCATIONS)  # under the 5 s read timeout
        response = cpo.call("PUT", f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPO/LOC1", json=location())
        assert response.json()["status_code"] == 1000
        wait_until(
            lambda: Delivery.objects.filter(module="locations", status="succeeded").exists(),
            timeout=30,
            what="the slow delivery",
        )
    finally:
        worker.stop()
    assert len(emsp.requests_to("locations", "PUT")) == 1


# --- The embedded default, as `make run` starts it --------------------------------------------------


def invite(hub: Hub, name: str) -> str:
    run = subprocess.run(
        [sys.executable, "manage.py", "ocpi_invite", "--name", name, "--json"],
        cwd=ROOT,
        env=hub.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])["token_a"]


@pytest.fixture
def embedded_hub(tmp_path) -> Iterator[Hub]:  # noqa: ANN001
    var_dir = tmp_path / "embedded"
    var_dir.mkdir()
    hub = Hub(var_dir, "--web-workers", "2", "--web-threads", "4")
    try:
        hub.wait_serving()
        _wait_for(lambda: "ready." in hub.output(), 45, "the celery worker", hub.log)
        yield hub
    finally:
        hub.kill()


def test_a_burst_on_the_embedded_default_reaches_5_emsps_and_the_worker_never_exits(embedded_hub: Hub):
    hub = embedded_hub
    versions = f"{hub.url}/ocpi/versions"
    with OcpiParty(version="2.3.0", roles=[CPO_ROLE]) as cpo:
        cpo.register_with(versions, invite(hub, "CPO"))
        emsps = [OcpiParty(version="2.2.1", roles=[emsp_role(n)]).start() for n in range(EMSPS)]
        try:
            for number, party in zip(itertools.count(), emsps, strict=False):
                party.register_with(versions, invite(hub, f"eMSP {number}"))
            newest = burst(cpo)
            wait_converged(emsps, newest, timeout=180)
        finally:
            for party in emsps:
                party.stop()
    output = hub.output()
    assert hub.process.poll() is None, output[-3000:]
    assert "exited with status" not in output, output[-3000:]
    assert "Unrecoverable error" not in output
