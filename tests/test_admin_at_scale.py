"""The admin's lists stay fast on big tables: no unbounded COUNT(*), no SELECT DISTINCT over a big table for
a filter, search by exact (indexed) ids. Timings at 10^6 rows are bench/admin_scale.py's job; these tests
check the queries the pages send."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from locations.models import Evse, Location
from ocpi_hub import admin as hub_admin
from parties.models import Delivery
from tests.factories import party_platform

pytestmark = pytest.mark.django_db

BIG_TABLES = {
    "locations_location",
    "locations_evse",
    "tariffs_tariff",
    "tokens_token",
    "ocpi_sessions_session",
    "cdrs_cdr",
    "errors_errorrecord",
    "parties_delivery",
}


@pytest.fixture
def data():
    owner = party_platform("CPO")
    now = timezone.now()
    for number in range(3):
        location = Location.objects.create(
            owner=owner,
            country_code="NL",
            party_id="CPO",
            location_id=f"Loc{number}",
            location_key=f"LOC{number}",
            last_updated=now,
            document={},
        )
        for uid in ("e1", "e2"):
            Evse.objects.create(
                location=location,
                uid=f"{uid}-{number}",
                uid_key=f"{uid}-{number}".upper(),
                status="AVAILABLE",
                last_updated=now,
            )
        Delivery.objects.create(
            receiver=owner, module="locations", object_key=f"NL/CPO/Loc{number}", next_attempt_at=now, queued_at=now
        )
    return owner


def _changelists() -> list[str]:
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
        if model._meta.db_table in BIG_TABLES
    ]


def _big_table_statements(queries: list[dict]) -> list[str]:
    return [q["sql"] for q in queries if any(f'"{table}"' in q["sql"] for table in BIG_TABLES)]


def test_every_big_list_counts_with_a_limit_and_lists_no_distinct_values(admin_client, data):
    lists = _changelists()
    assert len(lists) == len(BIG_TABLES)
    for url in lists:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200, url
        for sql in _big_table_statements(captured.captured_queries):
            if "COUNT(" in sql.upper():
                assert re.search(r"LIMIT \d+", sql), f"{url}: unbounded count: {sql}"
            assert "DISTINCT" not in sql.upper(), f"{url}: {sql}"


def test_search_is_an_exact_case_insensitive_id_match(admin_client, data):
    evses = reverse("admin:locations_evse_changelist")
    assert "e1-1" in admin_client.get(evses + "?q=E1-1").content.decode()
    by_location = admin_client.get(evses + "?q=loc2").content.decode()
    assert "e1-2" in by_location
    assert "e2-2" in by_location
    assert "e1-1" not in by_location
    assert "0 EVSEs" in admin_client.get(evses + "?q=e1").content.decode()  # a part of an id is no match

    locations = admin_client.get(reverse("admin:locations_location_changelist") + "?q=loc1").content.decode()
    assert "Loc1" in locations
    assert "Loc2" not in locations

    deliveries = admin_client.get(reverse("admin:parties_delivery_changelist") + "?q=NL/CPO/Loc0").content.decode()
    assert "NL/CPO/Loc0" in deliveries
    assert "NL/CPO/Loc1" not in deliveries


def test_the_paginator_caps_the_count_and_estimates_a_big_unfiltered_table(data, monkeypatch):
    monkeypatch.setattr(hub_admin, "COUNT_CAP", 2)
    monkeypatch.setattr(hub_admin, "table_row_estimate", lambda table: 5000)
    assert hub_admin.CappedCountPaginator(Evse.objects.all(), 100).count == 5000
    assert hub_admin.CappedCountPaginator(Evse.objects.filter(status="AVAILABLE"), 100).count == 3  # cap + 1
    assert hub_admin.CappedCountPaginator(Evse.objects.filter(uid_key="E1-1"), 100).count == 1
