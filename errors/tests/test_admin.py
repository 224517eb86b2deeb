"""Admin pages of the errors app render (with and without data); the catalog and records are read-only."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from errors import charts
from errors.models import ErrorRecord, MrecCode

DASHBOARD = "admin:errors_errorrecord_dashboard"
PERIOD = {"period_start": "2024-05-01", "period_end": "2024-05-03T00:00:00Z"}


@pytest.mark.django_db
def test_pages_render_without_data(admin_client):
    for name in ("admin:errors_mreccode_changelist", "admin:errors_errorrecord_changelist", DASHBOARD):
        response = admin_client.get(reverse(name))
        assert response.status_code == 200, name
    page = admin_client.get(reverse(DASHBOARD)).content.decode()
    assert "Reliability dashboard" in page
    assert "No EVSE status history." in page
    assert "<script" not in page.split('id="open_errors"')[1]  # charts are server-side SVG/CSS only


@pytest.mark.django_db
def test_catalog_is_read_only(admin_client):
    code = MrecCode.objects.get(code="CX019")
    response = admin_client.get(reverse("admin:errors_mreccode_change", args=[code.pk]))
    assert response.status_code == 200
    assert "CableOverTempStop" in response.content.decode()
    assert b'name="_save"' not in response.content
    assert admin_client.get(reverse("admin:errors_mreccode_add")).status_code == 403
    listing = admin_client.get(reverse("admin:errors_mreccode_changelist")).content.decode()
    assert listing.count("CX0") >= 26


def test_record_pages_render_with_data(admin_client, reliability_data):
    record = ErrorRecord.objects.get(record_id="R3")
    assert admin_client.get(reverse("admin:errors_errorrecord_change", args=[record.pk])).status_code == 200
    listing = admin_client.get(reverse("admin:errors_errorrecord_changelist") + "?state=open")
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 4  # R3, R5, R6, R8
    assert reverse(DASHBOARD) in listing.content.decode()


def test_dashboard_renders_the_figures(admin_client, reliability_data):
    response = admin_client.get(reverse(DASHBOARD), {**PERIOD, "cpo": "NL/CPO"})
    assert response.status_code == 200
    figures = response.context["figures"]
    assert [row[0] for row in figures["top_evses"].rows] == ["NL/CPO/LOC1/E1", "NL/CPO/LOC1/E2"]
    assert figures["evse_availability"].rows[0][2:5] == [0.5, 0.375, 0.125]
    page = response.content.decode()
    assert '<svg class="errors-chart"' in page
    assert "<rect" in page
    assert "width: 50.0%; background: #2e7d32" in page  # EVSE E1 operational half of the time
    assert "HighTemperature" in page


def test_dashboard_filters_by_location_and_rejects_a_bad_period(admin_client, reliability_data):
    response = admin_client.get(reverse(DASHBOARD), {**PERIOD, "location_id": "LOC2"})
    assert response.context["figures"]["top_evses"].rows == []
    bad = admin_client.get(reverse(DASHBOARD), {"period_start": "2024-05-03", "period_end": "2024-05-01"})
    assert bad.status_code == 200
    assert bad.context["figures"] == {}
    assert "The period must start before it ends." in bad.content.decode()
    garbled = admin_client.get(reverse(DASHBOARD), {"period_start": "yesterday"})
    assert garbled.status_code == 200
    assert "is not an RFC 3339 DateTime" in garbled.content.decode()


def test_dashboard_dates_its_x_axis_and_shows_rates_as_percentages(admin_client, reliability_data):
    response = admin_client.get(reverse(DASHBOARD), {**PERIOD, "cpo": "NL/CPO"})
    page = response.content.decode()
    chart = page.split('<svg class="errors-chart"')[1].split("</svg>")[0]
    labels = re.findall(r'<text class="x-label"[^>]*>([^<]+)</text>', chart)
    assert labels[0] == "05-01 00:00"  # two days: hourly buckets, labelled day and hour
    assert labels[-1] == "05-02 23:00"
    assert 2 <= len(labels) <= 7
    success = response.context["figures"]["session_success_cpo"]
    rate = success.rows[0][3]
    assert f"{100 * rate:.1f} %" in page.split('id="session_success"')[1]  # bar value and table cell
    assert f"<td>{rate}</td>" not in page


def test_axis_labels_are_days_for_daily_buckets():
    assert charts.axis_label("2024-05-01T00:00:00Z", hourly=False) == "2024-05-01"
    assert charts.axis_label("2024-05-01T13:00:00Z", hourly=True) == "05-01 13:00"
