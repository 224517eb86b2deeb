"""The MREC catalog (file, build script, data migration), the extension helpers and the delivery renderer."""

from __future__ import annotations

import importlib
import json
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.core.management.base import CommandError

from errors.catalog import CATALOG_PATH, catalog_entries
from errors.management.commands.build_mrec_catalog import DEFAULT_SOURCE, DESCRIPTIONS
from errors.models import ErrorRecord, MrecCode
from errors.outbound import render_error_record_delivery
from errors.services import RecordRef, error_record_put
from errors.tests.helpers import make_location, make_platform, make_session
from parties.extension import CDR_EXTENSION_FIELDS, SESSION_EXTENSION_FIELDS, platform_opted_in, strip_extension_fields
from parties.models import Delivery, Endpoint
from tests.bodies import record_body
from tests.factories import EndpointFactory

EXPECTED_CODES = [f"CX{number:03d}" for number in range(1, 27)]
requires_source = pytest.mark.usefixtures("needs_shared_mrec")  # ../shared/chargex/mrec.json


# --- catalog --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_catalog_is_loaded_completely_by_the_data_migration():
    MrecCode.objects.all().delete()
    importlib.import_module("errors.migrations.0002_load_mrec_catalog").load_catalog(django_apps, None)
    assert list(MrecCode.objects.values_list("code", flat=True)) == EXPECTED_CODES
    cx019 = MrecCode.objects.get(code="CX019")
    assert cx019.name == "CableOverTempStop"
    assert cx019.number == 19
    assert cx019.responsible_entities == ["EVSE"]
    assert cx019.functional_classes == ["Safety"]
    assert MrecCode.objects.get(code="CX006").ocpp16_error_code == "UnderVoltage"
    assert all(
        code.description and code.responsible_entities and code.functional_classes for code in MrecCode.objects.all()
    )


def test_shipped_file_has_26_codes_with_our_descriptions():
    entries = catalog_entries()
    assert [entry["code"] for entry in entries] == EXPECTED_CODES
    assert {entry["code"]: entry["description"] for entry in entries} == DESCRIPTIONS


@requires_source
def test_shipped_file_is_what_the_build_script_generates():
    call_command("build_mrec_catalog", "--check", stdout=StringIO())


@requires_source
def test_build_script_takes_facts_from_the_source_and_fails_on_gaps(tmp_path: Path):
    source = json.loads(DEFAULT_SOURCE.read_text())
    output = tmp_path / "catalog.json"
    call_command("build_mrec_catalog", "--output", str(output), stdout=StringIO())
    built = json.loads(output.read_text())["codes"]
    facts = {item["code"]: (item["name"], item["responsible"], item["category"]) for item in source["mrecs"]}
    assert {e["code"]: (e["name"], e["responsible_entities"], e["functional_classes"]) for e in built} == facts
    assert all(e["description"] != item["description"] for e, item in zip(built, source["mrecs"], strict=True))
    source["mrecs"] = source["mrecs"][:-1]
    truncated = tmp_path / "mrec.json"
    truncated.write_text(json.dumps(source))
    with pytest.raises(CommandError, match="expected exactly CX001..CX026"):
        call_command("build_mrec_catalog", "--source", str(truncated), "--output", str(output), stdout=StringIO())
    assert CATALOG_PATH.is_file()


# --- extension ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_opt_in_and_stripping():
    plain = make_platform("plain", "EMSP", "NL", "EMA")
    opted = make_platform("opted", "EMSP", "NL", "EMB", opted_in=True)
    EndpointFactory(platform=plain, identifier="chargex-errors", role="SENDER", url="https://x.example/s")
    doc = {
        "id": "C1",
        "total_energy": 3.0,
        "credit_reference_id": "C0",
        "energy_exported_kwh": 1.5,
        "direction": "BIDIRECTIONAL",
        "error_records": [{"id": "ERR1"}],
        "session_type": "AUTHORIZATION_ONLY",
    }
    assert (platform_opted_in(plain), platform_opted_in(opted), platform_opted_in(None)) == (False, True, False)
    assert strip_extension_fields(doc, opted) == doc
    assert strip_extension_fields(doc, plain) == {"id": "C1", "total_energy": 3.0, "credit_reference_id": "C0"}
    assert "credit_reference_id" in doc  # the input is not modified
    assert SESSION_EXTENSION_FIELDS == ("energy_exported_kwh", "direction", "error_records")
    assert set(CDR_EXTENSION_FIELDS) == {
        *SESSION_EXTENSION_FIELDS,
        "session_type",
        "cost_breakdown",
        "credit_reference_id",
    }


# --- renderer -------------------------------------------------------------------------------------------------


@pytest.fixture
def cpo(db):
    platform = make_platform("cpo", "CPO", "NL", "CPO")
    make_location(platform)
    return platform


@pytest.mark.django_db
def test_renderer_puts_the_full_record_in_the_receivers_version(cpo):
    emsp = make_platform("emsp", "EMSP", "BE", "EMB", opted_in=True, version="2.3.0")
    error_record_put(platform=cpo, version="2.2.1", ref=RecordRef("NL", "CPO", "Err1"), body=record_body("Err1"))
    request = render_error_record_delivery(Delivery.objects.get(receiver=emsp))
    assert request is not None
    assert request.routing is not None
    assert request.method == "PUT"
    assert request.url == "https://emsp.example/chargex-errors/NL/CPO/Err1"
    assert request.body == record_body("Err1")
    assert (str(request.routing.sender), str(request.routing.receiver)) == ("NL/HUB", "BE/EMB")


@pytest.mark.django_db
def test_renderer_sends_nothing_to_a_platform_that_stopped_opting_in(cpo):
    emsp = make_platform("emsp", "EMSP", "BE", "EMB", opted_in=True)
    error_record_put(platform=cpo, version="2.2.1", ref=RecordRef("NL", "CPO", "E1"), body=record_body("E1"))
    delivery = Delivery.objects.get(receiver=emsp)
    Endpoint.objects.filter(platform=emsp).delete()
    assert render_error_record_delivery(delivery) is None
    ErrorRecord.objects.all().delete()
    assert render_error_record_delivery(delivery) is None


@pytest.mark.django_db
def test_private_record_travels_from_the_cpo_to_that_emsp_only(cpo):
    owner = make_platform("a", "EMSP", "NL", "EMA", opted_in=True)
    other = make_platform("b", "EMSP", "BE", "EMB", opted_in=True)
    make_session(cpo, owner, "S1", receiver_party=("NL", "EMA"))
    error_record_put(platform=cpo, version="2.2.1", ref=RecordRef("NL", "CPO", "E1"), body=record_body("E1"))
    stale = Delivery.objects.get(receiver=other)  # queued while the record was EVSE-level
    body = record_body("E1", session_id="S1", last_updated="2024-05-01T13:00:00Z")
    error_record_put(platform=cpo, version="2.2.1", ref=RecordRef("NL", "CPO", "E1"), body=body)
    request = render_error_record_delivery(Delivery.objects.get(receiver=owner))
    assert request is not None
    assert request.routing is not None
    assert (str(request.routing.sender), str(request.routing.receiver)) == ("NL/CPO", "NL/EMA")
    assert request.body["session_id"] == "S1"
    assert render_error_record_delivery(stale) is None  # now private: never to another eMSP
