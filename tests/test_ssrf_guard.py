"""The credentials URL is no SSRF or port-probe oracle: non-public targets are refused before any call, no
redirect is followed, and the party is not told what happened at the URL it named."""

from __future__ import annotations

import base64
import socket

import pytest
import requests

from ocpi_party.party import OcpiParty
from parties.models import ConnectionStatus, Platform
from parties.services.credentials import platform_invite
from parties.urlguard import url_is_refused

pytestmark = pytest.mark.django_db(transaction=True)

EMSP = {"role": "EMSP", "country_code": "NL", "party_id": "SRF", "business_details": {"name": "SSRF test"}}


def _register(hub, body: dict) -> dict:  # noqa: ANN001
    _, token_a = platform_invite(name="p")
    response = requests.post(
        f"{hub.url}/ocpi/2.2.1/credentials",
        json=body,
        timeout=10,
        headers={"Authorization": f"Token {base64.b64encode(token_a.encode()).decode()}"},
    )
    assert response.status_code == 200
    return response.json()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def party():
    with OcpiParty(version="2.2.1", roles=[EMSP]) as emsp:
        yield emsp


@pytest.fixture
def guard_on(settings):  # noqa: ANN001
    """Production behaviour: no private network allowed (the test settings allow loopback)."""
    settings.OCPI_HUB_REFUSE_PRIVATE_URLS = True
    settings.OCPI_HUB_ALLOWED_PRIVATE_NETWORKS = []


@pytest.mark.parametrize(
    "url",
    [
        "LOOPBACK",
        "http://localhost:1/versions",
        "http://[::1]:1/versions",
        "http://[::ffff:127.0.0.1]:1/versions",
        "http://127.1:1/versions",
        "file:///etc/passwd",
    ],
)
def test_a_non_public_versions_url_is_refused_before_any_call(hub, party, guard_on, url):
    body = party.own_credentials()
    if url != "LOOPBACK":
        body["url"] = url

    answer = _register(hub, body)

    assert answer["status_code"] == 2001
    assert answer["status_message"].startswith("url: ")
    assert "public address" in answer["status_message"]
    assert party.received == []  # the hub never called the URL
    assert Platform.objects.get().status == ConnectionStatus.PLANNED


@pytest.mark.parametrize(
    "url",
    [
        # literal addresses only: deciding needs no DNS and no packet leaves the machine
        "http://10.0.0.7/versions",
        "http://172.16.5.4/versions",
        "http://192.168.1.1/versions",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/versions",
        "http://0.0.0.0:8000/versions",
        "http://224.0.0.1/versions",
        "http://[fd00::1]/versions",
        "http://[fe80::1]/versions",
        "https://8.8.8.8:99999/versions",
        "ftp://8.8.8.8/versions",
        "http:///versions",
    ],
)
def test_private_link_local_and_malformed_targets_are_refused(guard_on, url):
    assert url_is_refused(url)


def test_public_targets_pass_and_the_guard_can_be_turned_off(guard_on, settings):
    assert not url_is_refused("https://8.8.8.8/ocpi/versions")
    assert not url_is_refused("http://[2606:4700:4700::1111]:8080/versions")
    settings.OCPI_HUB_REFUSE_PRIVATE_URLS = False
    assert not url_is_refused("http://10.0.0.7/versions")


def test_non_public_endpoint_urls_in_version_details_are_refused(hub, party, settings):
    settings.OCPI_HUB_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]  # the versions URL passes, 127.0.0.2 does not
    details = {
        "version": "2.2.1",
        "endpoints": [
            {"identifier": "credentials", "role": "RECEIVER", "url": party.credentials_url},
            {"identifier": "locations", "role": "RECEIVER", "url": "http://127.0.0.2:8080/admin"},
        ],
    }
    party.respond_with(data=details, path_regex=r"/2\.2\.1/details$")

    answer = _register(hub, party.own_credentials())

    assert answer["status_code"] == 3001
    assert "endpoints[1].url is refused" in answer["status_message"]
    assert Platform.objects.get().status == ConnectionStatus.PLANNED


def test_a_redirect_is_not_followed(hub, party):
    party.respond_with(
        http_status=302, headers={"Location": f"{party.url}/internal"}, raw_body=b"", path_regex=r"/versions$"
    )

    answer = _register(hub, party.own_credentials())

    assert answer["status_code"] == 3001
    assert not [r for r in party.received if r.path == "/internal"]


def test_the_3001_message_does_not_tell_refused_from_answered(hub, party):
    party.respond_with(http_status=404, raw_body=b"<html>internal admin</html>", path_regex=r"/versions$")
    answered = _register(hub, party.own_credentials())

    body = party.own_credentials()
    body["url"] = f"http://127.0.0.1:{_closed_port()}/versions"
    refused = _register(hub, body)

    assert answered["status_code"] == refused["status_code"] == 3001
    shape = [m["status_message"].replace(u, "URL") for m, u in ((answered, party.versions_url), (refused, body["url"]))]
    assert shape[0] == shape[1]
    for word in ("refused", "Errno", "HTTP", "404", "Connection"):
        assert word not in shape[0]
