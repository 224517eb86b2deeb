"""Roaming agreements: the policy's SQL on the broadcast path, the services, the admin and ocpi_agreement."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from ocpi_hub.exceptions import InvalidParameters, UnknownReceiver
from parties import policy
from parties.models import Agreement, AgreementStatus, Delivery, DeliveryStatus, Platform
from parties.services.agreements import (
    agreement_create,
    agreement_end,
    agreement_suspend,
    agreements_import_csv,
)
from parties.services.delivery import broadcast_statement
from tests.factories import party_platform

pytestmark = pytest.mark.django_db


def _broadcast(**owner: object):  # noqa: ANN202
    return broadcast_statement(module="locations", object_key="NL/CPA/LOC1", roles=("EMSP",), exclude=None, **owner)


def test_under_open_the_broadcast_statement_is_unchanged(settings):
    settings.OCPI_HUB_ROUTING_POLICY = "open"
    plain, owned = _broadcast(), _broadcast(owner=("NL", "CPA"))
    assert owned.sql == plain.sql
    assert len(owned.params) == len(plain.params)  # (they differ only in the timestamps)
    assert policy.may_route(("NL", "CPA"), ("DE", "EMY"), "commands")  # no agreement needed


def test_under_agreements_the_filter_is_part_of_the_same_statement(settings):
    settings.OCPI_HUB_ROUTING_POLICY = "agreements"
    owned = _broadcast(owner=("NL", "CPA"))
    assert owned.sql.count("INSERT INTO parties_delivery") == 1
    assert "JOIN parties_agreement agreement" in owned.sql
    assert "agreement.locations" in owned.sql


def test_may_route_follows_status_scope_and_validity(settings):
    settings.OCPI_HUB_ROUTING_POLICY = "agreements"
    agreement = agreement_create(cpo="nl/cpa", emsp="DE/EMY", scopes=["locations", "commands"], activate=True)
    assert policy.may_route(("NL", "CPA"), ("DE", "EMY"), "commands")
    assert policy.may_route(("NL", "CPA"), ("DE", "EMY"), "chargex-errors")  # under the locations scope
    assert not policy.may_route(("NL", "CPA"), ("DE", "EMY"), "tokens")  # not in its scope
    assert not policy.may_route(("NL", "CPB"), ("DE", "EMY"), "commands")  # another CPO role
    Agreement.objects.filter(pk=agreement.pk).update(valid_until=timezone.now())
    assert not policy.may_route(("NL", "CPA"), ("DE", "EMY"), "commands")  # expired
    with pytest.raises(UnknownReceiver, match="No roaming agreement between CPO NL/CPA and eMSP DE/EMY"):
        policy.require_route(("NL", "CPA"), ("DE", "EMY"), "commands")


def test_one_open_agreement_per_pair_and_bad_input_named():
    agreement_create(cpo="NL/CPA", emsp="DE/EMY")
    with pytest.raises(InvalidParameters, match="already have an agreement"):
        agreement_create(cpo="NL/CPA", emsp="DE/EMY")
    with pytest.raises(InvalidParameters, match="cpo: 'NLX' is not"):
        agreement_create(cpo="NLX", emsp="DE/EMY")
    with pytest.raises(InvalidParameters, match="scopes: roaming unknown"):
        agreement_create(cpo="NL/CPB", emsp="DE/EMY", scopes=["roaming"])
    ended = Agreement.objects.get()
    assert agreement_end(agreement=ended)
    assert agreement_create(cpo="NL/CPA", emsp="DE/EMY").status == AgreementStatus.PROPOSED  # a new one


def test_csv_import_creates_good_lines_and_reports_bad_ones():
    text = (
        "cpo,emsp,status,scopes,valid_until\n"
        "NL/CPA,DE/EMY,active,locations|tariffs,\n"
        "NL/CPA,BE/EMB,,,2030-01-01T00:00:00Z\n"
        "NL/CPA,XX,,,\n"
        "NL/CPB,DE/EMY,ended,,\n"
        "NL/CPC,DE/EMY,,,tomorrow\n"
    )
    result = agreements_import_csv(text)
    assert [(a.cpo, a.emsp, a.status) for a in result.created] == [
        ("NL/CPA", "DE/EMY", "active"),
        ("NL/CPA", "BE/EMB", "proposed"),
    ]
    assert result.created[0].scope_list() == ["locations", "tariffs"]
    assert [error.split(":")[0] for error in result.errors] == ["line 4", "line 5", "line 6"]
    assert agreements_import_csv("party,other\nA,B\n").errors[0].startswith("header:")


def test_ocpi_agreement_command_create_list_end():
    out = io.StringIO()
    call_command("ocpi_agreement", "create", "--cpo", "NL/CPA", "--emsp", "DE/EMY", "--active", "--json", stdout=out)
    created = json.loads(out.getvalue())
    assert created["status"] == "active"
    assert created["scopes"] == list(policy.SCOPES)
    out = io.StringIO()
    call_command("ocpi_agreement", "list", "--json", stdout=out)
    assert [(row["cpo"], row["emsp"], row["status"]) for row in json.loads(out.getvalue())] == [
        ("NL/CPA", "DE/EMY", "active")
    ]
    call_command("ocpi_agreement", "end", "--cpo", "NL/CPA", "--emsp", "DE/EMY", stdout=io.StringIO())
    assert Agreement.objects.get().status == AgreementStatus.ENDED
    with pytest.raises(CommandError, match="already have an agreement|is not a country_code"):
        call_command("ocpi_agreement", "create", "--cpo", "bad", "--emsp", "DE/EMY", stdout=io.StringIO())


def _platform(name: str, role: str, country_code: str, party_id: str) -> Platform:
    return party_platform(name, role, country_code, party_id, version="", token_out="")


def test_admin_list_actions_matrix_import_and_platform_page(admin_client):
    cpo = _platform("CPO A", "CPO", "NL", "CPA")
    _platform("eMSP Y", "EMSP", "DE", "EMY")
    _platform("eMSP X", "EMSP", "NL", "EMX")
    agreement = agreement_create(cpo="NL/CPA", emsp="DE/EMY")
    changelist = reverse("admin:parties_agreement_changelist")
    page = admin_client.get(changelist, {"status__exact": "proposed"}).content.decode()
    assert "NL/CPA" in page
    assert "DE/EMY" in page
    assert admin_client.get(changelist, {"status__exact": "active"}).content.decode().count("DE/EMY") == 0

    response = admin_client.post(changelist, {"action": "activate", ACTION_CHECKBOX_NAME: [agreement.pk]})
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE

    matrix = admin_client.get(reverse("admin:parties_agreement_matrix")).content.decode()
    assert "<th>NL/CPA</th>" in matrix
    assert "<th>DE/EMY</th>" in matrix
    assert "<th>NL/EMX</th>" in matrix
    assert ">active</a>" in matrix

    upload = SimpleUploadedFile("agreements.csv", b"cpo,emsp,status\nNL/CPA,NL/EMX,proposed\nNL/CPA,??,\n")
    imported = admin_client.post(reverse("admin:parties_agreement_import"), {"csv_file": upload}, follow=True)
    assert "Imported 1 agreements, 1 lines not." in imported.content.decode()
    assert "line 3: emsp:" in imported.content.decode()

    platform_page = admin_client.get(reverse("admin:parties_platform_change", args=[cpo.pk])).content.decode()
    assert "Roaming agreements" in platform_page
    assert "CPO NL/CPA &harr; eMSP DE/EMY</a>: Active" in platform_page
    assert "CPO NL/CPA &harr; eMSP NL/EMX</a>: Proposed" in platform_page


def test_suspending_drops_rows_queued_for_the_pair_only(settings):
    settings.OCPI_HUB_ROUTING_POLICY = "agreements"
    emsp = _platform("eMSP Y", "EMSP", "DE", "EMY")
    agreement = agreement_create(cpo="NL/CPA", emsp="DE/EMY", activate=True)
    agreement_create(cpo="NL/CPB", emsp="DE/EMY", activate=True)
    now = timezone.now()
    rows = {
        key: Delivery.objects.create(
            receiver=emsp, module="locations", object_key=key, next_attempt_at=now, queued_at=now
        )
        for key in ("NL/CPA/LOC1", "NL/CPB/LOC1")
    }
    assert agreement_suspend(agreement=agreement)
    assert Delivery.objects.get(pk=rows["NL/CPA/LOC1"].pk).status == DeliveryStatus.SUPERSEDED
    assert Delivery.objects.get(pk=rows["NL/CPB/LOC1"].pk).status == DeliveryStatus.PENDING  # still agreed


def test_under_open_a_status_change_queues_and_drops_nothing(settings):
    settings.OCPI_HUB_ROUTING_POLICY = "open"
    emsp = _platform("eMSP Y", "EMSP", "DE", "EMY")
    now = timezone.now()
    row = Delivery.objects.create(
        receiver=emsp, module="locations", object_key="NL/CPA/LOC1", next_attempt_at=now, queued_at=now
    )
    agreement = agreement_create(cpo="NL/CPA", emsp="DE/EMY", activate=True)
    assert agreement.status == AgreementStatus.ACTIVE
    assert agreement_suspend(agreement=agreement)
    assert Delivery.objects.get(pk=row.pk).status == DeliveryStatus.PENDING
    assert Delivery.objects.count() == 1


def test_admin_add_form_goes_through_the_service_and_names_bad_fields(admin_client):
    add = reverse("admin:parties_agreement_add")
    form = {
        "cpo_country_code": "nl",
        "cpo_party_id": "cpa",
        "emsp_country_code": "de",
        "emsp_party_id": "emy",
        "locations": "on",
        "tariffs": "on",
        "note": "pilot",
    }
    assert admin_client.post(add, form).status_code == 302
    agreement = Agreement.objects.get()
    assert (agreement.cpo, agreement.emsp, agreement.status) == ("NL/CPA", "DE/EMY", AgreementStatus.PROPOSED)
    assert agreement.scope_list() == ["locations", "tariffs"]

    again = admin_client.post(add, form).content.decode()  # the same pair, not ended: a form error
    assert "already have an agreement that has not ended" in again
    nothing = admin_client.post(add, {**form, "cpo_party_id": "CPB", "locations": "", "tariffs": ""})
    assert "Choose at least one scope." in nothing.content.decode()
    bad = admin_client.post(add, {**form, "cpo_country_code": "N1"}).content.decode()
    assert "Two letters, e.g. NL." in bad
    assert Agreement.objects.count() == 1
