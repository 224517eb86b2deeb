"""Fixtures shared by the end-to-end flows: registered test parties (CPO and eMSPs) per module family."""

from __future__ import annotations

import pytest

from conftest import Worker
from ocpi_party.party import OcpiParty
from tests.bodies import CPO_A, CPO_ROLE, EMSP_221_ROLE, EMSP_X, EMSP_Y
from tests.factories import register


@pytest.fixture
def parties(hub):  # noqa: ANN001
    """CPO A (2.2.1), eMSP X (2.3.0, owns the tokens) and eMSP Y (2.2.1), registered with the hub."""
    with (
        OcpiParty(version="2.2.1", roles=[CPO_A]) as cpo,
        OcpiParty(version="2.3.0", roles=[EMSP_X]) as emsp_x,
        OcpiParty(version="2.2.1", roles=[EMSP_Y]) as emsp_y,
    ):
        register(hub.url, cpo, "CPO A")
        register(hub.url, emsp_x, "eMSP X")
        register(hub.url, emsp_y, "eMSP Y")
        yield cpo, emsp_x, emsp_y


@pytest.fixture
def cpo(hub):  # noqa: ANN001
    """A 2.3.0 CPO (NL) registered with the hub (locations, tariffs, delivery engine flows)."""
    with OcpiParty(version="2.3.0", roles=[CPO_ROLE]) as party:
        register(hub.url, party, "CPO NL")
        yield party


@pytest.fixture
def emsp(hub):  # noqa: ANN001
    """A 2.2.1 eMSP registered with the hub."""
    with OcpiParty(version="2.2.1", roles=[EMSP_221_ROLE]) as party:
        register(hub.url, party, "eMSP 2.2.1")
        yield party


@pytest.fixture
def agreements(hub, settings):  # noqa: ANN001
    """Routing policy ``agreements`` in the hub (this process) and in a real worker of its own (it renders
    ClientInfo and sends what is queued)."""
    settings.OCPI_HUB_ROUTING_POLICY = "agreements"
    worker = Worker(hub.url, extra_env={"OCPI_HUB_ROUTING_POLICY": "agreements"}).start()
    yield worker
    worker.stop()
