"""The tariff check of inbound CDRs (cdrs.pricing) through ``cdr_create`` with a real database: the CPO's
figures against the ones computed from the embedded tariff or the stored tariff version valid at the CDR's
start, read in the stored Location's time zone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from cdrs.models import Cdr
from cdrs.selectors import cdr_warning_summary
from cdrs.services import cdr_create
from locations.models import Location
from ocpi_hub.exceptions import InvalidParameters
from parties.models import Platform
from tariffs.models import TariffVersion
from tariffs.services import tariff_put
from tests.bodies import EMSP_X, cdr_body, cdr_tariff, period, price
from tests.factories import party_platform

pytestmark = pytest.mark.django_db


@pytest.fixture
def cpo() -> Platform:
    platform = party_platform("CPO A", "CPO", "NL", "CPA", token_out="")
    party_platform("eMSP X", "EMSP", EMSP_X["country_code"], "EMX", version="2.3.0", token_out="")
    return platform


def _post(cpo: Platform, body: dict[str, Any]) -> Cdr:
    return cdr_create(platform=cpo, version="2.2.1", body=body).cdr


def _pricing_warnings(cdr: Cdr) -> list[dict[str, Any]]:
    codes = ("COST_MISMATCH", "TARIFF_UNKNOWN", "TARIFF_TIME_ZONE_UNKNOWN")
    return [warning for warning in cdr.quality_warnings if warning["code"] in codes]


def _store_tariff(cpo: Platform, energy_price: float, last_updated: str, **changes: Any) -> None:
    body = cdr_tariff()
    body["elements"][0]["price_components"][0]["price"] = energy_price
    tariff_put(
        platform=cpo,
        version="2.2.1",
        country_code="NL",
        party_id="CPA",
        tariff_id="TARIFF1",
        body={**body, "last_updated": last_updated, **changes},
    )


def _named_tariff_cdr(cdr_id: str, start: str, end: str, total: float) -> dict[str, Any]:
    """10 kWh under stored tariff TARIFF1 (named by the period, not embedded), no parking."""
    return cdr_body(
        cdr_id=cdr_id,
        session_id=None,
        start_date_time=start,
        end_date_time=end,
        tariffs=[],
        charging_periods=[{**period(start, ENERGY=10.0, TIME=2.0), "tariff_id": "TARIFF1"}],
        total_time=2.0,
        total_parking_time=0,
        total_cost=price("2.2.1", total),
        total_energy_cost=price("2.2.1", total),
        total_parking_cost=None,
    )


def test_the_right_total_passes(cpo):
    # cdr_body: 10 kWh x 0.40 + 0.5 h parking x 2.00 = 5.00, 6.05 incl. 21 % VAT -- as the CPO says.
    cdr = _post(cpo, cdr_body())
    assert _pricing_warnings(cdr) == []
    assert cdr.cost_difference is None
    assert cdr.document["cost_breakdown"]["total_cost"] == {"before_taxes": 5.0, "after_taxes": 6.05}


def test_within_the_tolerance_passes_and_one_cent_over_warns_with_the_breakdown(cpo):
    within = _post(
        cpo, cdr_body(cdr_id="C1", total_cost=price("2.2.1", 5.01, 1.05), total_energy_cost=price("2.2.1", 4.01))
    )
    assert _pricing_warnings(within) == []  # 0.01 off: the tolerance (0.01)
    over = _post(
        cpo, cdr_body(cdr_id="C2", total_cost=price("2.2.1", 5.02, 1.05), total_energy_cost=price("2.2.1", 4.02))
    )
    [warning] = _pricing_warnings(over)
    assert warning["code"] == "COST_MISMATCH"
    assert warning["field"] == "total_cost"
    differences = {item["field"]: (item["given"], item["computed"]) for item in warning["detail"]["differences"]}
    assert differences == {
        "total_cost.before_taxes": (5.02, 5.0),
        "total_cost.after_taxes": (6.07, 6.05),
        "total_energy_cost.before_taxes": (4.02, 4.0),
    }
    assert warning["detail"]["computed"]["total_parking_cost"] == {"before_taxes": 1.0, "after_taxes": 1.21}
    assert str(over.cost_difference) == "0.0200"
    assert "|COST_MISMATCH|" in over.warning_codes


def test_strict_platform_rejects_a_cost_mismatch(cpo):
    Platform.objects.filter(pk=cpo.pk).update(strictness="strict")
    cpo.refresh_from_db()
    with pytest.raises(InvalidParameters, match="COST_MISMATCH"):
        _post(cpo, cdr_body(total_cost=price("2.2.1", 7.0, 1.05), total_energy_cost=price("2.2.1", 6.0)))
    assert not Cdr.objects.exists()


def test_a_cdr_without_any_tariff_is_tariff_unknown(cpo):
    cdr = _post(cpo, cdr_body(tariffs=[]))
    assert [warning["code"] for warning in _pricing_warnings(cdr)] == ["TARIFF_UNKNOWN"]
    assert "cost_breakdown" not in cdr.document
    named = _named_tariff_cdr("C2", "2024-05-01T10:00:00Z", "2024-05-01T12:00:00Z", 4.0)
    [warning] = _pricing_warnings(_post(cpo, named))
    assert (warning["code"], warning["field"]) == ("TARIFF_UNKNOWN", "charging_periods.tariff_id")


def test_a_tariff_pushed_twice_keeps_both_versions(cpo):
    _store_tariff(cpo, 0.40, "2024-04-01T00:00:00Z")
    _store_tariff(cpo, 0.50, "2024-06-01T00:00:00Z")
    prices = [
        version.document["elements"][0]["price_components"][0]["price"] for version in TariffVersion.objects.all()
    ]
    assert sorted(prices) == [0.4, 0.5]


def test_an_older_cdr_is_priced_with_the_version_valid_at_its_start(cpo):
    # v1 (0.40/kWh) valid until 2024-06-01, v2 (0.50/kWh) from then on: 10 kWh in May = 4.00, in July = 5.00.
    _store_tariff(cpo, 0.40, "2024-04-01T00:00:00Z", end_date_time="2024-06-01T00:00:00Z")
    _store_tariff(cpo, 0.50, "2024-05-20T00:00:00Z", start_date_time="2024-06-01T00:00:00Z")
    may = _post(cpo, _named_tariff_cdr("MAY", "2024-05-01T10:00:00Z", "2024-05-01T12:00:00Z", 4.0))
    july = _post(cpo, _named_tariff_cdr("JULY", "2024-07-01T10:00:00Z", "2024-07-01T12:00:00Z", 5.0))
    assert (_pricing_warnings(may), _pricing_warnings(july)) == ([], [])
    late = _post(cpo, _named_tariff_cdr("LATE", "2024-07-02T10:00:00Z", "2024-07-02T12:00:00Z", 4.0))
    [warning] = _pricing_warnings(late)  # v1 no longer valid: 5.00, not the 4.00 the CPO billed
    assert warning["detail"]["computed"]["total_cost"]["before_taxes"] == 5.0


def test_without_dates_the_version_received_by_the_cdr_start_applies(cpo):
    _store_tariff(cpo, 0.40, "2024-04-01T00:00:00Z")
    _store_tariff(cpo, 0.50, "2024-05-20T00:00:00Z")
    first, second = TariffVersion.objects.order_by("received_at")
    TariffVersion.objects.filter(pk=first.pk).update(received_at=datetime(2024, 4, 1, tzinfo=UTC))
    TariffVersion.objects.filter(pk=second.pk).update(received_at=datetime(2024, 5, 20, tzinfo=UTC))
    may = _post(cpo, _named_tariff_cdr("MAY", "2024-05-01T10:00:00Z", "2024-05-01T12:00:00Z", 4.0))
    june = _post(cpo, _named_tariff_cdr("JUNE", "2024-06-01T10:00:00Z", "2024-06-01T12:00:00Z", 5.0))
    assert (_pricing_warnings(may), _pricing_warnings(june)) == ([], [])


def _peak_tariff() -> dict[str, Any]:
    """0.60/kWh from 10:00 to 12:00 local time, else 0.30."""
    return {
        **cdr_tariff(),
        "elements": [
            {
                "price_components": [{"type": "ENERGY", "price": 0.6, "vat": 21.0, "step_size": 1}],
                "restrictions": {"start_time": "10:00", "end_time": "12:00"},
            },
            {"price_components": [{"type": "ENERGY", "price": 0.3, "vat": 21.0, "step_size": 1}]},
        ],
    }


def _peak_cdr(cdr_id: str, total: float) -> dict[str, Any]:
    # 10 kWh from 09:00Z = 11:00 CEST (Amsterdam, May): peak, 10 x 0.60 = 6.00; in UTC it would be 3.00.
    start, end = "2024-05-01T09:00:00Z", "2024-05-01T10:00:00Z"
    return cdr_body(
        cdr_id=cdr_id,
        session_id=None,
        start_date_time=start,
        end_date_time=end,
        tariffs=[_peak_tariff()],
        charging_periods=[period(start, ENERGY=10.0, TIME=1.0)],
        total_time=1.0,
        total_parking_time=0,
        total_cost=price("2.2.1", total),
        total_energy_cost=price("2.2.1", total),
        total_parking_cost=None,
    )


def test_local_time_restrictions_are_read_in_the_stored_locations_zone(cpo):
    Location.objects.create(
        owner=cpo,
        country_code="NL",
        party_id="CPA",
        location_id="LOC1",
        location_key="LOC1",
        last_updated=datetime(2024, 1, 1, tzinfo=UTC),
        document={"id": "LOC1", "time_zone": "Europe/Amsterdam"},
    )
    assert _pricing_warnings(_post(cpo, _peak_cdr("PEAK", 6.0))) == []
    [warning] = _pricing_warnings(_post(cpo, _peak_cdr("UTC", 3.0)))
    assert warning["code"] == "COST_MISMATCH"


def test_without_a_stored_zone_local_time_restrictions_warn_instead_of_guessing(cpo):
    cdr = _post(cpo, _peak_cdr("PEAK", 3.0))
    assert [warning["code"] for warning in _pricing_warnings(cdr)] == ["TARIFF_TIME_ZONE_UNKNOWN"]
    assert cdr.document["cost_breakdown"]["priceable"] is False


def test_pricing_can_be_switched_off(cpo, settings):
    settings.OCPI_HUB_PRICING = False
    cdr = _post(cpo, cdr_body(tariffs=[], total_cost=price("2.2.1", 9.0, 1.05), total_energy_cost=price("2.2.1", 8.0)))
    assert _pricing_warnings(cdr) == []
    assert "cost_breakdown" not in cdr.document


def _mismatched(cpo: Platform, cdr_id: str, total: float) -> Cdr:
    # The tariff prices cdr_body at 5.00 (4.00 energy + 1.00 parking); the CPO bills ``total``.
    energy = round(total - 1.0, 2)
    return _post(
        cpo, cdr_body(cdr_id=cdr_id, total_cost=price("2.2.1", total), total_energy_cost=price("2.2.1", energy))
    )


def test_quality_summary_counts_mismatches_and_their_sum(cpo, client):
    _post(cpo, cdr_body(cdr_id="CLEAN"))
    _mismatched(cpo, "OVER", 5.5)
    _mismatched(cpo, "UNDER", 4.75)
    [row] = cdr_warning_summary()
    assert (row["total"], row["cost_mismatches"], str(row["cost_difference"])) == (3, 2, "0.2500")  # 0.50 - 0.25
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", "pw"))
    page = client.get("/admin/cdrs/cdr/quality-summary/").content.decode()
    assert '<td class="cost-mismatches">2</td>' in page
    assert '<td class="cost-difference">0.2500</td>' in page


def test_cdr_admin_page_shows_the_computed_breakdown_next_to_the_cpo_figures(cpo, client):
    cdr = _mismatched(cpo, "OVER", 5.5)
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", "pw"))
    page = client.get(f"/admin/cdrs/cdr/{cdr.pk}/change/").content.decode()
    # field, CPO excl., computed excl., CPO incl., computed incl.
    assert "<tr><td>total_cost</td><td>5.5000</td><td>5.0000</td><td>-</td><td>6.0500</td></tr>" in page
    assert "<tr><td>total_parking_cost</td><td>1.0000</td><td>1.0000</td><td>-</td><td>1.2100</td></tr>" in page


def test_price_cdr_command_prints_the_breakdown(cpo):
    cdr = _mismatched(cpo, "OVER", 5.5)
    out = StringIO()
    call_command("ocpi_price_cdr", str(cdr.pk), stdout=out)
    text = out.getvalue()
    assert "total_cost                    5.5000      5.0000           -      6.0500" in text
    assert "period 0: ENERGY 10 x 0.4 (element 0) = 4.0000" in text
    assert "COST_MISMATCH total_cost: differs from the tariff" in text
    out = StringIO()
    call_command("ocpi_price_cdr", "NL/CPA/OVER", "--json", stdout=out)
    printed = json.loads(out.getvalue())
    assert printed["breakdown"]["total_cost"] == {"before_taxes": 5.0, "after_taxes": 6.05}
    assert [finding["code"] for finding in printed["findings"]] == ["COST_MISMATCH"]
    with pytest.raises(CommandError, match="no CDR NOPE"):
        call_command("ocpi_price_cdr", "NOPE")


@pytest.mark.parametrize(("bench_on", "priced"), [(False, True), (True, False)])
def test_the_bench_switch_turns_pricing_off_only_on_a_bench_server(cpo, settings, bench_on, priced):
    from django.test import RequestFactory
    from rest_framework.request import Request

    from ocpi_hub.api.bench import bench_pricing

    settings.OCPI_HUB_BENCH_ENDPOINT = bench_on
    request = Request(RequestFactory().post("/", HTTP_OCPI_HUB_BENCH_PRICING="off"))
    body = cdr_body(cdr_id="CDR-BENCH", session_id=None)
    cdr = cdr_create(platform=cpo, version="2.2.1", body=body, pricing=bench_pricing(request)).cdr
    assert ("cost_breakdown" in cdr.document) is priced
