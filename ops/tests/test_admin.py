"""The admin tells the truth: the landing overview, the platforms list and page, the deliveries list."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cdrs.models import Cdr
from ops.tests import builders
from parties.models import DeliveryStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def hub_state():
    cpo = builders.platform("CPO Alpha")
    flagged = builders.platform("eMSP Flagged", needs_attention=True, attention_reason="answered HTTP 401 3 times")
    quiet = builders.platform("eMSP Quiet")
    builders.delivery(flagged, "NL/CPO/L1", DeliveryStatus.PENDING, queued_ago=dt.timedelta(hours=2, minutes=5))
    builders.delivery(flagged, "NL/CPO/L2", DeliveryStatus.FAILED)
    builders.delivery(flagged, "NL/CPO/L3", DeliveryStatus.DEAD)
    builders.delivery(flagged, "NL/CPO/L4", DeliveryStatus.DEAD)
    builders.delivery(quiet, "NL/CPO/L1", DeliveryStatus.SUCCEEDED)
    for number in range(4):
        builders.session(cpo, quiet, number, codes="|ENERGY_MISMATCH|" if number == 0 else "")
    builders.cdr(cpo, quiet, 1, codes="|COST_MISMATCH|")
    builders.cdr(cpo, quiet, 2)
    builders.error_record(cpo, 1)
    builders.error_record(cpo, 2, open_=False)
    return {"cpo": cpo, "flagged": flagged, "quiet": quiet}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_landing_page_gives_the_overview(admin_client, hub_state):
    html = admin_client.get(reverse("admin:index")).content.decode()
    text = _text(html)
    assert "OCPI Hub" in html
    assert 'href="/api/docs/2.3.0"' in html
    assert "eMSP Flagged CONNECTED answered HTTP 401 3 times" in text
    assert "eMSP Flagged 1 1 2 2 h 5 min" in text  # pending, failed, dead, oldest pending
    assert "eMSP Quiet 0 0 0" not in text  # nothing waiting: not listed
    assert "Oldest pending delivery: 2 h 5 min" in text
    assert "open error records: 1" in text
    assert "CPO Alpha 4 25.0 % 2 50.0 %" in text


def test_the_platforms_list_warns_about_attention_and_counts_failed_deliveries(admin_client, hub_state):
    html = admin_client.get(reverse("admin:parties_platform_changelist")).content.decode()
    flagged_row = next(row for row in html.split("<tr") if "eMSP Flagged" in row)
    assert "icon-alert.svg" in flagged_row
    assert "icon-yes.svg" not in flagged_row
    assert "answered HTTP 401 3 times" in flagged_row
    pk = hub_state["flagged"].pk
    for status, count in (("pending", 1), ("failed", 1), ("dead", 2)):
        assert f'receiver__id__exact={pk}&amp;status__exact={status}">{count}</a>' in flagged_row
    quiet_row = next(row for row in html.split("<tr") if "eMSP Quiet" in row)
    assert "icon-alert.svg" not in quiet_row
    assert "Failed" in html


def test_a_platform_page_links_to_its_deliveries_with_their_summary(admin_client, hub_state):
    platform = hub_state["flagged"]
    html = admin_client.get(reverse("admin:parties_platform_change", args=[platform.pk])).content.decode()
    text = _text(html)
    assert "Pending: 1" in text
    assert "Failed: 1" in text
    assert "Dead: 2" in text
    assert "Succeeded: 0" in text
    assert f'?receiver__id__exact={platform.pk}">all deliveries</a>' in html
    assert "oldest pending queued 2 h 5 min ago" in text


def test_deliveries_show_receiver_names_utc_times_with_seconds_and_no_next_attempt_when_finished(
    admin_client, hub_state
):
    html = admin_client.get(reverse("admin:parties_delivery_changelist")).content.decode()
    rows = [row for row in html.split("<tbody>")[1].split("<tr") if "NL/CPO/L" in row]  # the result rows
    assert all("eMSP Flagged" in row or "eMSP Quiet" in row for row in rows)
    pending = next(row for row in rows if "NL/CPO/L1" in row and "eMSP Flagged" in row)
    failed = next(row for row in rows if "NL/CPO/L2" in row)
    stamp = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC"
    assert len(re.findall(stamp, pending)) == 2  # next attempt and created
    assert len(re.findall(stamp, failed)) == 1  # created only
    assert 'class="field-next_attempt">-</td>' in failed
    delivery = hub_state["flagged"].deliveries.get(object_key="NL/CPO/L2")
    page = admin_client.get(reverse("admin:parties_delivery_change", args=[delivery.pk])).content.decode()
    assert "-&gt; eMSP Flagged (failed)" in page


def test_the_data_quality_summary_covers_sessions_and_cdrs_with_shares_range_and_trend(admin_client, hub_state):
    cpo, quiet = hub_state["cpo"], hub_state["quiet"]
    old = builders.cdr(cpo, quiet, 3, codes="|COST_MISMATCH|")
    Cdr.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    url = reverse("admin:cdrs_cdr_quality_summary")
    html = admin_client.get(url).content.decode()
    today = timezone.now().date()
    start = today - dt.timedelta(days=29)
    assert f"Received from {start:%Y-%m-%d} to {today:%Y-%m-%d}" in _text(html)
    sessions = _text(html.split('id="quality-summary-sessions"')[1].split("</table>")[0])
    assert "NL/CPO 4 1 25.0 % 1" in sessions  # 4 sessions, 1 with warnings, ENERGY_MISMATCH 1
    cdrs = _text(html.split('id="quality-summary-cdrs"')[1].split("</table>")[0])
    assert "NL/CPO 2 1 50.0 % 0 0 1" in cdrs  # the 40-day-old CDR is outside the range; no tariff mismatch
    trend = _text(html.split('id="quality-trend-cdrs"')[1].split("</table>")[0])
    assert f"{today:%Y-%m-%d} 2 1 50.0 %" in trend
    assert f"{start:%Y-%m-%d} 0 0 -" in trend
    wider = admin_client.get(url, {"from": f"{today - dt.timedelta(days=45):%Y-%m-%d}", "to": f"{today:%Y-%m-%d}"})
    cdrs = _text(wider.content.decode().split('id="quality-summary-cdrs"')[1].split("</table>")[0])
    assert "NL/CPO 3 2 66.7 % 0 0 2" in cdrs


def test_session_and_cdr_lists_show_the_warning_codes(admin_client, hub_state):
    sessions = admin_client.get(reverse("admin:ocpi_sessions_session_changelist")).content.decode()
    assert 'class="field-warning_list">ENERGY_MISMATCH</td>' in sessions
    cdrs = admin_client.get(reverse("admin:cdrs_cdr_changelist")).content.decode()
    assert 'class="field-warning_list">COST_MISMATCH</td>' in cdrs
