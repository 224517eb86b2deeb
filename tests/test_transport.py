"""Transport core over real HTTP: envelope, headers, errors, pagination, DateTime handling."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.utils import timezone

from ocpi_hub.api.datetimes import DateTimeFormatError, canonical_datetime, format_datetime, parse_datetime
from parties.models import PlatformRole
from parties.services.credentials import platform_invite
from parties.tokens import hash_token
from tests.factories import PlatformFactory, PlatformRoleFactory, party_platform

pytestmark = pytest.mark.django_db(transaction=True)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {base64.b64encode(token.encode()).decode()}"}


@pytest.fixture
def connected():
    """A CONNECTED eMSP platform and the token it calls the hub with."""
    platform = party_platform(
        "eMSP",
        "EMSP",
        "NL",
        "EMS",
        version="2.2.1",
        token_in_hash=hash_token("tok-emsp"),
        registered_at=timezone.now(),
        token_out="",
    )
    return platform, "tok-emsp"


def test_versions_envelope_and_request_ids_are_echoed(hub, connected):
    headers = {**_auth(connected[1]), "X-Request-ID": "req-1", "X-Correlation-ID": "corr-1"}
    response = requests.get(f"{hub.url}/ocpi/versions", headers=headers, timeout=5)
    body = response.json()
    assert response.status_code == 200
    assert body["status_code"] == 1000
    assert body["timestamp"].endswith("Z")
    assert [item["version"] for item in body["data"]] == ["2.3.0", "2.2.1"]
    assert body["data"][1]["url"] == f"{hub.url}/ocpi/2.2.1"
    assert response.headers["X-Request-ID"] == "req-1"
    assert response.headers["X-Correlation-ID"] == "corr-1"


def test_request_ids_are_created_when_missing(hub, connected):
    response = requests.get(f"{hub.url}/ocpi/versions", headers=_auth(connected[1]), timeout=5)
    assert len(response.headers["X-Request-ID"]) == 36
    assert len(response.headers["X-Correlation-ID"]) == 36


def test_version_details_list_modules_with_distinct_urls(hub, connected):
    body = requests.get(f"{hub.url}/ocpi/2.3.0", headers=_auth(connected[1]), timeout=5).json()
    endpoints = body["data"]["endpoints"]
    assert body["data"]["version"] == "2.3.0"
    assert {
        "identifier": "credentials",
        "role": "SENDER",
        "url": f"{hub.url}/ocpi/2.3.0/credentials",
    } in endpoints
    urls = [item["url"] for item in endpoints]
    assert len(urls) == len(set(urls))


@pytest.mark.parametrize("header", [None, "Token", "Token bm9wZQ==", "Bearer abc", "Token " + "x" * 500])
def test_missing_or_unknown_token_is_401_envelope(hub, header):
    headers = {"Authorization": header} if header else {}
    response = requests.get(f"{hub.url}/ocpi/versions", headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["status_code"] == 2000


def test_broken_json_is_http_400(hub):
    _, token_a = platform_invite(name="p")
    response = requests.post(
        f"{hub.url}/ocpi/2.2.1/credentials",
        data=b'{"token": "abc", ',
        timeout=5,
        headers={**_auth(token_a), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["status_code"] == 2000
    assert "JSON" in response.json()["status_message"]


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"null", b"NaN", b'{"a": 1e999999}'])
def test_hostile_bodies_never_500(hub, body):
    _, token_a = platform_invite(name="p")
    response = requests.post(f"{hub.url}/ocpi/2.2.1/credentials", data=body, headers=_auth(token_a), timeout=5)
    assert response.status_code in (200, 400)
    assert response.json()["status_code"] in (2000, 2001)


@pytest.mark.parametrize("path", ["/ocpi/9.9/versions", "/ocpi/2.2.1/nothing", "/ocpi/", "/ocpi/2.2.1/sender/x/y"])
def test_unknown_ocpi_urls_get_an_envelope(hub, connected, path):
    response = requests.get(f"{hub.url}{path}", headers=_auth(connected[1]), timeout=5)
    assert response.status_code == 404
    assert response.json()["status_code"] == 2000


def test_trailing_slash_is_accepted(hub, connected):
    response = requests.get(f"{hub.url}/ocpi/versions/", headers=_auth(connected[1]), timeout=5)
    assert response.json()["status_code"] == 1000


def test_wrong_method_is_405_envelope(hub, connected):
    response = requests.delete(f"{hub.url}/ocpi/versions", headers=_auth(connected[1]), timeout=5)
    assert response.status_code == 405
    assert response.json()["status_code"] == 2000


def test_routing_from_header_must_be_own_role(hub, connected):
    url = f"{hub.url}/ocpi/2.2.1/sender/hubclientinfo"
    ok = requests.get(url, headers=_auth(connected[1]), timeout=5)
    assert ok.json()["status_code"] == 1000
    # hubclientinfo is a configuration module: routing headers are ignored there
    spoofed = {**_auth(connected[1]), "OCPI-from-country-code": "DE", "OCPI-from-party-id": "XXX"}
    assert requests.get(url, headers=spoofed, timeout=5).json()["status_code"] == 1000


def _make_roles(count: int) -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    for index in range(count):
        role = PlatformRoleFactory(
            platform=PlatformFactory(name=f"cpo{index}", version="", token_out=""),
            country_code="DE",
            party_id=f"{index:03d}",
        )
        PlatformRole.objects.filter(pk=role.pk).update(updated_at=base + timedelta(hours=index))


def test_pagination_headers_link_and_limits(hub, connected, settings):
    settings.OCPI_HUB_PAGE_LIMIT = 4
    _make_roles(9)
    url = f"{hub.url}/ocpi/2.2.1/sender/hubclientinfo"
    first = requests.get(
        url, params={"limit": 50, "date_from": "2024-01-01T00:00:00Z"}, headers=_auth(connected[1]), timeout=5
    )
    assert first.headers["X-Limit"] == "4"
    assert first.headers["X-Total-Count"] == "10"  # 9 CPOs + the eMSP itself
    assert len(first.json()["data"]) == 4
    next_url = first.headers["Link"].split(";")[0].strip("<>")
    assert "offset=4" in next_url
    assert "limit=4" in next_url
    assert "date_from=" in next_url
    seen = [item["party_id"] for item in first.json()["data"]]
    while next_url:
        page = requests.get(next_url, headers=_auth(connected[1]), timeout=5)
        seen += [item["party_id"] for item in page.json()["data"]]
        link = page.headers.get("Link")
        next_url = link.split(";")[0].strip("<>") if link else ""
    assert len(seen) == 10
    assert len(set(seen)) == 10


def test_pagination_date_window(hub, connected):
    _make_roles(5)
    response = requests.get(
        f"{hub.url}/ocpi/2.2.1/sender/hubclientinfo",
        params={"date_from": "2024-01-01T01:00:00Z", "date_to": "2024-01-01T03:00:00"},
        headers=_auth(connected[1]),
        timeout=5,
    )
    assert [item["party_id"] for item in response.json()["data"]] == ["001", "002"]
    assert response.headers["X-Total-Count"] == "2"
    assert "Link" not in response.headers


@pytest.mark.parametrize(
    "params",
    [
        {"offset": "-1"},
        {"limit": "abc"},
        {"date_from": "2024-01-01T00:00:00+02:00"},
        {"date_to": "yesterday"},
    ],
)
def test_bad_pagination_parameters_are_2001(hub, connected, params):
    response = requests.get(
        f"{hub.url}/ocpi/2.2.1/sender/hubclientinfo", params=params, headers=_auth(connected[1]), timeout=5
    )
    assert response.json()["status_code"] == 2001
    assert next(iter(params)) in response.json()["status_message"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-06-29T20:39:09Z", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-29T20:39:09", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-29T20:39:09+00:00", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2016-12-29T17:45:09.2Z", datetime(2016, 12, 29, 17, 45, 9, 200000, tzinfo=UTC)),
        ("2018-01-01T01:08:01.123Z", datetime(2018, 1, 1, 1, 8, 1, 123000, tzinfo=UTC)),
        ("2018-01-01T01:08:01.123456789", datetime(2018, 1, 1, 1, 8, 1, 123456, tzinfo=UTC)),
        ("2018-01-01T01:08:01.1234Z", datetime(2018, 1, 1, 1, 8, 1, 123400, tzinfo=UTC)),
        ("2018-01-01t01:08:01z", datetime(2018, 1, 1, 1, 8, 1, tzinfo=UTC)),
        (" 2018-01-01T01:08:01Z ", datetime(2018, 1, 1, 1, 8, 1, tzinfo=UTC)),
    ],
)
def test_datetime_parsing_accepts_utc_forms(text, expected):
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2015-06-29T20:39:09+02:00",
        "2015-06-29T20:39:09-05:00",
        "2015-06-29 20:39",
        "2015-13-01T00:00:00Z",
        "2015-06-29T25:00:00Z",
        "",
        "20150629T203909Z",
        "2015-02-30T00:00:00Z",  # the shape the fast path reads, but no such day
        "2015-06-29T20:39:60Z",
        "\uff12015-06-29T20:39:09Z",  # a full-width digit
    ],
)
def test_datetime_parsing_rejects_other_forms(text):
    with pytest.raises(DateTimeFormatError):
        parse_datetime(text)


@pytest.mark.parametrize(
    "text",
    [
        "2015-06-29T20:39:09Z",
        "2015-06-29T20:39:09.000Z",  # JavaScript's toISOString
        "2015-06-29T20:39:09.5Z",
        "2015-06-29T20:39:09.120Z",
        "2015-06-29T20:39:09.1239Z",
        "2015-06-29T20:39:09.123456Z",
        "2015-06-29T20:39:09.123456789Z",
        "2015-06-29T20:39:09",
        "2015-06-29T20:39:09+00:00",
        "2015-06-29t20:39:09z",
    ],
)
def test_canonical_datetime_is_the_emitted_form_of_the_parsed_value(text):
    assert canonical_datetime(text) == format_datetime(parse_datetime(text))


def test_canonical_datetime_checks_what_it_keeps():
    for text in ("2015-02-30T00:00:00Z", "2015-06-29T20:39:09+02:00", "2015-06-29"):
        with pytest.raises(DateTimeFormatError):
            canonical_datetime(text)
    assert canonical_datetime("2015-06-29T22:39:09+02:00", lenient=True) == "2015-06-29T20:39:09Z"


def test_datetime_lenient_converts_offsets_and_emitting_always_uses_z():
    parsed = parse_datetime("2015-06-29T22:39:09+02:00", lenient=True)
    assert parsed == datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)
    assert format_datetime(parsed) == "2015-06-29T20:39:09Z"
    assert format_datetime(datetime(2018, 1, 1, 1, 8, 1, 123456, tzinfo=UTC)) == "2018-01-01T01:08:01.123Z"
    assert format_datetime(datetime(2018, 1, 1, 3, 0, tzinfo=timezone.get_fixed_timezone(120))) == (
        "2018-01-01T01:00:00Z"
    )
