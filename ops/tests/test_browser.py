"""The admin overview, the platforms list and the reliability dashboard, with data, in a real headless
Chromium (Debian's chromium + chromium-driver, driven by selenium) against the hub over HTTP."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User

from ops.tests import builders
from parties.models import DeliveryStatus

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="no headless browser: apt-get install -y chromium chromium-driver (.ci/run does)",
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1000",
)


@pytest.fixture
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="ocpi-hub-chromium-")
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def admin_in_browser(hub, browser):
    from selenium.webdriver.common.by import By

    User.objects.create_superuser("ops", "ops@example.com", "a-long-password-1")
    browser.get(f"{hub.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("ops")
    browser.find_element(By.NAME, "password").send_keys("a-long-password-1")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    return browser


@pytest.fixture
def hub_data(hub):
    cpo = builders.platform("CPO Alpha")
    flagged = builders.platform("eMSP Flagged", needs_attention=True, attention_reason="answered HTTP 401 3 times")
    builders.delivery(flagged, "NL/CPO/L1", DeliveryStatus.PENDING, queued_ago=dt.timedelta(hours=2))
    builders.delivery(flagged, "NL/CPO/L2", DeliveryStatus.FAILED)
    builders.delivery(flagged, "NL/CPO/L3", DeliveryStatus.DEAD)
    builders.session(cpo, flagged, 1, codes="|ENERGY_MISMATCH|")
    builders.session(cpo, flagged, 2)
    for number in range(3):
        builders.error_record(cpo, number)
    return {"cpo": cpo, "flagged": flagged}


def _visible(element: object) -> bool:
    size = element.size  # type: ignore[attr-defined]
    return element.is_displayed() and size["width"] > 0 and size["height"] > 0  # type: ignore[attr-defined]


def test_overview_platforms_and_dashboard_render_in_chromium(admin_in_browser, hub, hub_data):
    from selenium.webdriver.common.by import By

    browser = admin_in_browser
    browser.get(f"{hub.url}/admin/")
    assert browser.find_element(By.ID, "site-name").text == "OCPI Hub"
    overview = browser.find_element(By.ID, "hub-overview")
    assert _visible(overview)
    attention = browser.find_element(By.ID, "overview-attention")
    assert "eMSP Flagged" in attention.text
    assert "answered HTTP 401 3 times" in attention.text
    deliveries = " ".join(browser.find_element(By.ID, "overview-deliveries").text.split())
    assert re.search(r"eMSP Flagged 1 1 1 2 h \d+ min$", deliveries), deliveries  # pending, failed, dead, oldest
    assert browser.find_element(By.ID, "overview-open-errors").text == "3"
    assert "50.0 %" in browser.find_element(By.ID, "overview-quality").text
    view_site = browser.find_element(By.LINK_TEXT, "VIEW SITE").get_attribute("href")
    assert view_site.endswith("/api/docs/2.3.0")

    browser.get(f"{hub.url}/admin/parties/platform/")
    row = browser.find_element(By.XPATH, "//tr[.//a[text()='eMSP Flagged']]")
    icon = row.find_element(By.CSS_SELECTOR, "td.field-attention img")
    assert icon.get_attribute("alt") == "Needs attention"
    assert _visible(icon)
    assert row.find_element(By.CSS_SELECTOR, "td.field-failed_deliveries").text == "1"
    assert row.find_element(By.CSS_SELECTOR, "td.field-dead_deliveries").text == "1"

    browser.get(f"{hub.url}/admin/errors/errorrecord/dashboard/")
    chart = browser.find_element(By.CSS_SELECTOR, "svg.errors-chart")
    assert _visible(chart)
    assert chart.find_elements(By.CSS_SELECTOR, "rect")
    labels = [label.get_attribute("textContent") for label in chart.find_elements(By.CSS_SELECTOR, "text.x-label")]
    assert labels
    assert all(len(label) == 10 and label[4] == "-" for label in labels)  # daily buckets: YYYY-MM-DD
    assert "3" in browser.find_element(By.CSS_SELECTOR, "#open_errors .kpi").text
