"""Locations end to end: CPOs push to the hub's receiver interface over real HTTP, eMSPs pull from its sender
interface and receive the broadcast pushes (through a real Celery worker where the test says so)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from locations.documents import render_part
from locations.models import Evse, EvseStatusChange, Location
from locations.tests.helpers import apply_push, assert_official, sorted_location
from locations.wire import parse_location
from ocpi_party.party import OcpiParty, Recorded
from parties.models import ConnectionStatus, Delivery
from parties.services.drain import delivery_attempt
from tests.bodies import (
    CPO_ROLE,
    EMSP_221_ROLE,
    EMSP_230_ROLE,
    OTHER_CPO_ROLE,
    connector,
    evse,
    location,
    location_230,
    tariff,
    ts,
)
from tests.factories import PlatformFactory, register
from tests.ocpi_schema import example_names, example_path, requires_examples

pytestmark = pytest.mark.django_db(transaction=True)
SCHEMAS = {0: "location", 1: "evse", 2: "connector"}


@pytest.fixture
def emsp230(hub):
    with OcpiParty(version="2.3.0", roles=[EMSP_230_ROLE]) as party:
        register(hub.url, party, "eMSP 2.3.0")
        yield party


def url(party: OcpiParty, *ids: str, owner: dict = CPO_ROLE) -> str:
    return "/".join([party.hub_url("locations", "RECEIVER"), owner["country_code"], owner["party_id"], *ids])


def push(party: OcpiParty, method: str, body, *ids: str, owner: dict = CPO_ROLE) -> dict:
    response = party.call(method, url(party, *ids, owner=owner), json=body)
    assert response.status_code == 200, response.text
    return response.json()


def hub_view(version: str, location_id: str = "LOC1", *ids: str) -> dict | None:
    """The hub's current state of an object, rendered in ``version``."""
    document = Location.objects.get(location_key=location_id.upper()).document
    return render_part(document, version, *(list(ids) + [None, None])[:2])


def location_deliveries() -> int:
    return Delivery.objects.filter(module="locations").count()


# --- broadcast through the real worker ------------------------------------------------------------------------


def test_push_at_every_level_reaches_each_emsp_in_its_own_version(cpo, emsp, emsp230, celery_worker):
    steps = [
        ("PUT", ("LOC1",), location_230(last_updated=ts())),
        ("PUT", ("LOC1", "E4"), evse("E4", last_updated=ts())),
        ("PUT", ("LOC1", "E1", "3"), connector("3", last_updated=ts())),
        ("PUT", ("LOC1", "E3", "4"), connector("4", last_updated=ts())),  # E3 had only an MCS connector
        ("PATCH", ("LOC1",), {"name": "Renamed", "last_updated": ts()}),
        ("PATCH", ("LOC1", "E2"), {"status": "CHARGING", "last_updated": ts()}),
        ("PATCH", ("LOC1", "E1", "1"), {"max_amperage": 32, "last_updated": ts()}),
    ]
    for method, ids, body in steps:
        assert push(cpo, method, body, *ids)["status_code"] == 1000
        for party, version in ((emsp, "2.2.1"), (emsp230, "2.3.0")):
            # E3 had no connector 2.2.1 can express: a 2.2.1 receiver gets the whole EVSE, not the connector
            shown = ids[:2] if version == "2.2.1" and ids[1:2] == ("E3",) else ids
            expected = hub_view(version, *shown)
            party.wait_for(lambda reqs, p=shown, e=expected: any(_answered(r, p, e) for r in reqs), timeout=15)

    for party in (emsp, emsp230):
        assert_received_matches_hub(party)
    final_221, final_230 = hub_view("2.2.1"), hub_view("2.3.0")
    assert "parking_places" not in final_221
    assert final_230["help_phone"] == "+31301234567"
    assert [e["uid"] for e in final_221["evses"]] == ["E1", "E2", "E3", "E4"]
    assert [c["id"] for c in final_221["evses"][2]["connectors"]] == ["4"]  # MCS connector left out
    assert not any(c["standard"] == "MCS" for r in emsp.requests_to("locations") for c in _connectors(r.body))


def _answered(rec: Recorded, ids: tuple[str, ...], body: dict) -> bool:
    path_ok = rec.path.endswith("/NL/CPO/" + "/".join(ids))
    return rec.method == "PUT" and path_ok and rec.body == body and rec.status_code == 1000


def assert_received_matches_hub(party: OcpiParty) -> None:
    """Every PUT the party got is a valid object of its version, routed from the hub to it, and replaying
    them gives the hub's current state."""
    version, role = party.version, party.roles[0]
    state: dict[str, dict] = {}
    for rec in party.requests_to("locations", "PUT"):
        assert rec.status_code == 1000
        assert rec.path.startswith(f"/{version}/locations/NL/CPO/LOC1")
        assert_official(version, SCHEMAS[rec.path.count("/") - 5], rec.body)
        assert (rec.header("ocpi-from-country-code"), rec.header("ocpi-from-party-id")) == ("NL", "HUB")
        assert (rec.header("ocpi-to-country-code"), rec.header("ocpi-to-party-id")) == (
            role["country_code"],
            role["party_id"],
        )
        apply_push(state, rec.path, rec.body)
    assert sorted_location(state["LOC1"]) == sorted_location(hub_view(version))


def _connectors(body: dict) -> list[dict]:
    if "evses" in body:
        return [c for item in body["evses"] for c in item["connectors"]]
    return body.get("connectors", [body] if "standard" in body else [])


# --- receiver interface rules ---------------------------------------------------------------------------------


def test_receiver_get_returns_own_objects_in_the_url_version_and_404_for_unknown(cpo):
    push(cpo, "PUT", location_230(), "LOC1")
    base = url(cpo, "loc1")  # CiString ids compare case-insensitively
    assert cpo.call("GET", base).json()["data"]["help_phone"] == "+31301234567"
    response_221 = cpo.call("GET", base.replace("/2.3.0/", "/2.2.1/") + "/E2")
    assert [c["id"] for c in response_221.json()["data"]["connectors"]] == ["1"]
    assert cpo.call("GET", base + "/e1/2").json()["data"]["standard"] == "IEC_62196_T2_COMBO"
    for unknown in (url(cpo, "NOPE"), base + "/E9", base + "/E1/9"):
        response = cpo.call("GET", unknown)
        assert response.status_code == 404
        assert response.json()["status_code"] == 2000
    foreign = cpo.call("GET", url(cpo, "LOC1", owner=OTHER_CPO_ROLE))
    assert foreign.json()["status_code"] == 2001


def test_child_updates_set_parents_last_updated_and_keep_spelling(cpo):
    push(cpo, "PUT", location(last_updated=ts(10)), "LOC1")
    push(cpo, "PUT", connector("1", last_updated=ts(20), max_amperage=32), "LOC1", "e1", "1")
    stored = Location.objects.get()
    assert stored.document["last_updated"] == ts(20)
    assert stored.document["evses"][0]["last_updated"] == ts(20)
    assert stored.document["evses"][1]["last_updated"] == ts(0)  # sibling untouched
    push(cpo, "PATCH", {"status": "CHARGING", "last_updated": ts(30)}, "LOC1", "E2")
    stored.refresh_from_db()
    assert stored.last_updated.isoformat().startswith("2024-05-01T12:00:30")
    assert stored.document["evses"][0]["uid"] == "E1"


def test_patch_requires_last_updated_and_merges_validating_the_result(cpo):
    push(cpo, "PUT", location(), "LOC1")
    missing = push(cpo, "PATCH", {"name": "x"}, "LOC1")
    assert missing["status_code"] == 2001
    assert "last_updated" in missing["status_message"]
    partial = push(cpo, "PATCH", {"coordinates": {"latitude": "52.000001"}, "last_updated": ts()}, "LOC1")
    assert partial["status_code"] == 2001
    assert partial["status_message"].startswith("coordinates.longitude:")
    merged = push(cpo, "PATCH", {"facilities": ["CAFE"], "postal_code": None, "last_updated": ts()}, "LOC1")
    assert merged["status_code"] == 1000
    before = Location.objects.get().document
    assert before["facilities"] == ["CAFE"]
    assert "postal_code" not in before
    assert before["city"] == "Utrecht"
    invalid = push(cpo, "PATCH", {"status": "BROKEN", "last_updated": ts()}, "LOC1", "E1")
    assert invalid["status_code"] == 2001
    assert invalid["status_message"].startswith("status:")
    replaced = push(
        cpo, "PATCH", {"connectors": [connector("7", last_updated=ts())], "last_updated": ts()}, "LOC1", "E1"
    )
    assert replaced["status_code"] == 1000  # nested lists are replaced, not merged
    after = Location.objects.get().document
    assert [c["id"] for c in after["evses"][0]["connectors"]] == ["7"]
    assert after["name"] == before["name"]


def test_ids_in_url_must_equal_body(cpo):
    cases = [
        (location("LOC2"), ("LOC1",), "id"),
        (location(party_id="XXX"), ("LOC1",), "party_id"),
        (evse("E2"), ("LOC1", "E1"), "uid"),
        (connector("2"), ("LOC1", "E1", "1"), "id"),
    ]
    push(cpo, "PUT", location(), "LOC1")
    for body, ids, field in cases:
        answer = push(cpo, "PUT", body, *ids)
        assert answer["status_code"] == 2001, answer
        assert answer["status_message"].startswith(f"{field}:"), answer
    assert push(cpo, "PATCH", {"uid": "E9", "last_updated": ts()}, "LOC1", "E1")["status_code"] == 2001
    assert Location.objects.get().document == parse_location("2.3.0", location())


def test_tenancy_violations_are_rejected_and_nothing_is_stored(cpo, emsp):
    foreign = push(cpo, "PUT", location(owner=OTHER_CPO_ROLE), "LOC1", owner=OTHER_CPO_ROLE)
    assert foreign["status_code"] == 2001
    assert "DE/CPB" in foreign["status_message"]
    as_emsp = emsp.call(
        "PUT",
        "/".join([emsp.hub_url("locations", "RECEIVER"), "NL", "EMA", "LOC1"]),
        json=location(owner=EMSP_221_ROLE),
    )
    assert as_emsp.json()["status_code"] == 2001
    spoofed = cpo.call(
        "PUT", url(cpo, "LOC1"), json=location(), headers={"OCPI-from-country-code": "NL", "OCPI-from-party-id": "EMA"}
    )
    assert spoofed.json()["status_code"] == 2001
    assert not Location.objects.exists()
    assert location_deliveries() == 0


def test_children_of_unknown_parents_are_rejected(cpo):
    answer = push(cpo, "PUT", evse("E1"), "LOC9", "E1")
    assert answer["status_code"] == 2001
    assert "location NL/CPO/LOC9" in answer["status_message"]
    assert push(cpo, "PATCH", {"status": "CHARGING", "last_updated": ts()}, "LOC9", "E1")["status_code"] == 2001
    push(cpo, "PUT", location(), "LOC1")
    assert "EVSE E9" in push(cpo, "PUT", connector("1"), "LOC1", "E9", "1")["status_message"]
    assert push(cpo, "PATCH", {"last_updated": ts()}, "LOC1", "E1", "9")["status_code"] == 2001
    assert Location.objects.count() == 1
    assert Evse.objects.count() == 2


def test_stale_updates_are_acknowledged_but_neither_applied_nor_forwarded(cpo, emsp):
    push(cpo, "PUT", location(last_updated=ts(100)), "LOC1")
    push(cpo, "PUT", evse("E1", last_updated=ts(100)), "LOC1", "E1")
    stored, queued = Location.objects.get().document, location_deliveries()
    stale = [
        ("PUT", location(name="Old", last_updated=ts(50)), ("LOC1",)),
        ("PATCH", {"name": "Old", "last_updated": ts(50)}, ("LOC1",)),
        ("PUT", evse("E1", status="CHARGING", last_updated=ts(50)), ("LOC1", "E1")),
        ("PATCH", {"status": "CHARGING", "last_updated": ts(99)}, ("LOC1", "E1")),
        ("PATCH", {"max_voltage": 400, "last_updated": ts(-1)}, ("LOC1", "E1", "1")),
    ]
    for method, body, ids in stale:
        answer = push(cpo, method, body, *ids)
        assert answer["status_code"] == 1000, (method, ids)
        assert "older" in answer["status_message"], (method, ids)
    assert push(cpo, "PUT", evse("E1", last_updated=ts(100)), "LOC1", "E1")["status_message"].startswith("Unchanged")
    assert Location.objects.get().document == stored
    assert Delivery.objects.filter(module="locations").count() == queued
    delivery = Delivery.objects.get(module="locations")
    assert delivery_attempt(delivery.pk) == "succeeded"
    assert len(emsp.requests_to("locations", "PUT")) == 1


@pytest.mark.parametrize(
    ("ids", "body", "field"),
    [
        (("LOC1",), {k: v for k, v in location().items() if k != "city"}, "city"),
        (("LOC1",), location(coordinates={"latitude": "52.1", "longitude": "5.121420"}), "coordinates.latitude"),
        (
            ("LOC1",),
            location(evses=[evse(connectors=[connector(max_voltage="high")])]),
            "evses[0].connectors[0].max_voltage",
        ),
        (("LOC1",), location(last_updated="2024-05-01T14:00:00+02:00"), "last_updated"),
        (("LOC1",), [location()], "body"),
        (("LOC1", "E1"), {k: v for k, v in evse().items() if k != "connectors"}, "connectors"),
        (("LOC1", "E1", "1"), connector(power_type="AC"), "power_type"),
        (("LOC1",), location(evses=[evse("E1"), evse("e1")]), "evses[1].uid"),
        (("LOC1", "E1"), evse(connectors=[connector("1"), connector("1")]), "connectors[1].id"),
    ],
)
def test_malformed_bodies_are_2001_naming_the_field_and_nothing_is_stored(cpo, ids, body, field):
    if len(ids) > 1:
        push(cpo, "PUT", location(), "LOC1")
    before = list(Location.objects.values_list("document", flat=True))
    answer = push(cpo, "PUT", body, *ids)
    assert answer["status_code"] == 2001
    assert answer["status_message"].startswith(f"{field}:"), answer["status_message"]
    assert list(Location.objects.values_list("document", flat=True)) == before
    assert location_deliveries() == 0


def test_broken_json_is_http_400_and_nothing_is_stored(cpo):
    response = cpo.call("PUT", url(cpo, "LOC1"), data=b'{"id": "LOC1", ')
    assert response.status_code == 400
    assert response.json()["status_code"] == 2000
    assert not Location.objects.exists()


# --- official examples ----------------------------------------------------------------------------------------

EXAMPLE_OWNERS = [("BE", "BEC"), ("SE", "EVC"), ("NL", "ALF"), ("NL", "ALL"), ("DE", "ALL")]


def _example(version: str, name: str):
    path = example_path(version, name)
    assert path is not None
    return json.loads(path.read_text(encoding="utf-8"))


@requires_examples
@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_every_official_location_example_is_accepted(hub, version):
    roles = [{"role": "CPO", "country_code": cc, "party_id": pid} for cc, pid in EXAMPLE_OWNERS]
    with OcpiParty(version=version, roles=roles) as cpo:
        register(hub.url, cpo, "examples")
        full = [
            name
            for name in example_names(version, "location_*.json")
            if "_hours_" not in name
            and "_patch_" not in name
            and "_put_" not in name
            and "energymix" not in name
            and "regularhours" not in name
        ]
        assert len(full) == 6
        for index, name in enumerate(full):
            body = _example(version, name)
            body["id"] = f"{body['id'][:30]}-{index}"  # uc2 and uc3 share their id
            owner = {"country_code": body["country_code"], "party_id": body["party_id"]}
            assert push(cpo, "PUT", body, body["id"], owner=owner)["status_code"] == 1000, name
            assert cpo.call("GET", url(cpo, body["id"], owner=owner)).json()["data"] == body, name
        _apply_partial_examples(cpo, version)


def _apply_partial_examples(cpo: OcpiParty, version: str) -> None:
    owner = {"country_code": "BE", "party_id": "BEC"}
    push(cpo, "PUT", _example(version, "location_example.json") | {"id": "LOC1"}, "LOC1", owner=owner)
    patches = [
        ("location_patch_example_location.json", ()),
        ("location_patch_example_status.json", ("3256",)),
        ("location_patch_example_remove_evse.json", ("3257",)),
        ("location_patch_example_tariff.json", ("3256", "1")),
    ]
    for name, ids in patches:
        assert push(cpo, "PATCH", _example(version, name), "LOC1", *ids, owner=owner)["status_code"] == 1000, name
    fragments = [_example(version, n) for n in example_names(version, "location_energymix_*.json")]
    fragments += [_example(version, "location_regularhours_example.json")]
    fragments += [{"opening_times": _example(version, n)} for n in example_names(version, "location_hours_*.json")]
    for fragment in fragments:
        assert push(cpo, "PATCH", fragment | {"last_updated": ts()}, "LOC1", owner=owner)["status_code"] == 1000
    stored = Location.objects.get(country_code="BE", location_key="LOC1").document
    assert stored["name"] == "Interparking Gent Zuid"
    assert [e["status"] for e in stored["evses"]] == ["CHARGING", "REMOVED"]
    assert stored["evses"][0]["connectors"][0]["tariff_ids"] == ["15"]
    assert stored["opening_times"] == fragments[-1]["opening_times"]
    # the official "add EVSE" PUT example is not a valid EVSE (its connectors lack required fields)
    add_evse = push(cpo, "PUT", _example(version, "location_put_example_add_evse.json"), "LOC1", "3256", owner=owner)
    assert add_evse["status_code"] == 2001
    assert "connectors[0].power_type" in add_evse["status_message"]


# --- sender interface -----------------------------------------------------------------------------------------


def test_sender_list_is_paginated_with_filters_and_hides_unpublished(cpo, emsp):
    for index in range(5):
        push(cpo, "PUT", location(f"LOC{index}", last_updated=ts(1000 + index)), f"LOC{index}")
    push(cpo, "PUT", location("HIDDEN", publish=False, last_updated=ts(1002)), "HIDDEN")
    sender = emsp.hub_url("locations", "SENDER")
    first = emsp.call("GET", f"{sender}?limit=2")
    assert first.headers["X-Total-Count"] == "5"
    assert first.headers["X-Limit"] == "1000"
    assert [item["id"] for item in first.json()["data"]] == ["LOC0", "LOC1"]
    assert "parking_places" not in json.dumps(first.json()["data"])  # rendered in the URL's version
    link = first.headers["Link"]
    assert link.startswith(f"<{sender}?")
    assert "offset=2" in link
    assert "limit=2" in link
    second = emsp.call("GET", link[1 : link.index(">")])
    assert [item["id"] for item in second.json()["data"]] == ["LOC2", "LOC3"]
    window = emsp.call("GET", f"{sender}?date_from={ts(1001)}&date_to={ts(1004)}&limit=1")
    assert window.headers["X-Total-Count"] == "3"
    assert [item["id"] for item in window.json()["data"]] == ["LOC1"]
    assert f"date_from={ts(1001)}".replace(":", "%3A") in window.headers["Link"]
    assert "date_to=" in window.headers["Link"]
    last = emsp.call("GET", f"{sender}?offset=4")
    assert [item["id"] for item in last.json()["data"]] == ["LOC4"]
    assert "Link" not in last.headers
    assert emsp.call("GET", f"{sender}/HIDDEN").status_code == 404
    assert emsp.call("GET", f"{sender}?date_from=yesterday").json()["status_code"] == 2001


def test_sender_single_get_picks_the_owner_from_ocpi_to_headers(hub, cpo, emsp230):
    with OcpiParty(version="2.2.1", roles=[OTHER_CPO_ROLE]) as other:
        register(hub.url, other, "CPO DE")
        push(cpo, "PUT", location_230(), "LOC1")
        push(other, "PUT", location(owner=OTHER_CPO_ROLE, name="German"), "LOC1", owner=OTHER_CPO_ROLE)
    sender = emsp230.hub_url("locations", "SENDER")
    ambiguous = emsp230.call("GET", f"{sender}/LOC1").json()
    assert ambiguous["status_code"] == 2001
    assert "OCPI-to" in ambiguous["status_message"]
    to_de = {"OCPI-to-country-code": "DE", "OCPI-to-party-id": "CPB"}
    assert emsp230.call("GET", f"{sender}/loc1", headers=to_de).json()["data"]["name"] == "German"
    to_nl = {"OCPI-to-country-code": "NL", "OCPI-to-party-id": "CPO"}
    assert emsp230.call("GET", f"{sender}/LOC1/E3/3", headers=to_nl).json()["data"]["standard"] == "MCS"
    assert emsp230.call("GET", f"{sender}/LOC1/E3/9", headers=to_nl).status_code == 404
    listed = emsp230.call("GET", sender, headers=to_de).json()["data"]
    assert [item["country_code"] for item in listed] == ["DE"]


def test_unpublished_locations_are_not_broadcast_until_unpublishing(cpo, emsp):
    push(cpo, "PUT", location(publish=False), "LOC1")
    push(cpo, "PATCH", {"status": "CHARGING", "last_updated": ts()}, "LOC1", "E1")
    assert location_deliveries() == 0
    push(cpo, "PATCH", {"publish": True, "last_updated": ts()}, "LOC1")
    push(cpo, "PATCH", {"publish": False, "last_updated": ts()}, "LOC1")  # receivers must learn it
    delivery = Delivery.objects.get(module="locations")
    assert delivery_attempt(delivery.pk) == "succeeded"
    assert emsp.requests_to("locations", "PUT")[-1].body["publish"] is False
    push(cpo, "PATCH", {"name": "quiet", "last_updated": ts()}, "LOC1")
    assert location_deliveries() == 1


def test_evse_status_changes_are_recorded(cpo):
    push(cpo, "PUT", location(last_updated=ts(0)), "LOC1")
    push(cpo, "PATCH", {"status": "CHARGING", "last_updated": ts(60)}, "LOC1", "E1")
    push(cpo, "PATCH", {"physical_reference": "A", "last_updated": ts(61)}, "LOC1", "E1")
    push(cpo, "PUT", location(evses=[evse("E1", last_updated=ts(120))], last_updated=ts(120)), "LOC1")
    history = {
        uid: [change.status for change in EvseStatusChange.objects.filter(evse__uid=uid).order_by("changed_at")]
        for uid in ("E1", "E2")
    }
    assert history == {"E1": ["AVAILABLE", "CHARGING", "AVAILABLE"], "E2": ["AVAILABLE", "REMOVED"]}
    assert Evse.objects.get(uid="E2").status == "REMOVED"


def test_version_details_list_both_interfaces(cpo):
    details = cpo.call("GET", cpo.hub_versions_url.replace("/versions", "/2.3.0")).json()["data"]["endpoints"]
    listed = {(item["identifier"], item["role"]) for item in details}
    assert {
        ("locations", "RECEIVER"),
        ("locations", "SENDER"),
        ("tariffs", "RECEIVER"),
        ("tariffs", "SENDER"),
    } <= listed


# --- initial sync ---------------------------------------------------------------------------------------------


def test_initial_sync_command_queues_published_locations_and_live_tariffs(hub, cpo):
    for name in ("LOC1", "LOC2"):
        push(cpo, "PUT", location(name), name)
    push(cpo, "PUT", location("LOC3", publish=False), "LOC3")
    tariffs_url = cpo.hub_url("tariffs", "RECEIVER") + "/NL/CPO"
    for name in ("T1", "T2"):
        cpo.call("PUT", f"{tariffs_url}/{name}", json=tariff(name))
    cpo.call("DELETE", f"{tariffs_url}/T2")
    with OcpiParty(version="2.2.1", roles=[EMSP_221_ROLE]) as late:
        platform = register(hub.url, late, "late eMSP")
        out = io.StringIO()
        call_command("ocpi_initial_sync", "--platform", str(platform.pk), stdout=out)
        assert "3/3" in out.getvalue()
        assert "[" + "#" * 40 + "]" in out.getvalue()
        queued = Delivery.objects.filter(receiver=platform).exclude(module="hubclientinfo")
        assert sorted(queued.values_list("module", "object_key")) == [
            ("locations", "NL/CPO/LOC1"),
            ("locations", "NL/CPO/LOC2"),
            ("tariffs", "NL/CPO/T1"),
        ]
        for delivery in queued:
            assert delivery_attempt(delivery.pk) == "succeeded"
        assert sorted(r.path for r in late.requests_to("locations") + late.requests_to("tariffs")) == [
            "/2.2.1/locations/NL/CPO/LOC1",
            "/2.2.1/locations/NL/CPO/LOC2",
            "/2.2.1/tariffs/NL/CPO/T1",
        ]
    planned = PlatformFactory(name="planned", status=ConnectionStatus.PLANNED, version="", token_out="")
    with pytest.raises(CommandError, match="not CONNECTED"):
        call_command("ocpi_initial_sync", "--platform", str(planned.pk), stdout=io.StringIO())


# --- targeted push (ocpi/ocpi #507/#508) ----------------------------------------------------------------------


def to(role: dict) -> dict[str, str]:
    return {"OCPI-to-country-code": role["country_code"], "OCPI-to-party-id": role["party_id"]}


def test_a_targeted_location_put_reaches_only_the_emsp_named_and_its_updates_follow(cpo, emsp, emsp230, celery_worker):
    response = cpo.call("PUT", url(cpo, "LOC1"), json=location(last_updated=ts()), headers=to(EMSP_221_ROLE))
    assert response.json()["status_code"] == 1000, response.text

    pushed = emsp.wait_for_requests("locations", "PUT", timeout=15)[0]
    assert pushed.path.endswith("/locations/NL/CPO/LOC1")
    assert (pushed.header("ocpi-from-party-id"), pushed.header("ocpi-to-party-id")) == (
        CPO_ROLE["party_id"],
        EMSP_221_ROLE["party_id"],
    )
    push(cpo, "PATCH", {"status": "CHARGING", "last_updated": ts()}, "LOC1", "E1")  # no OCPI-to: follows the PUT
    patched = emsp.wait_for_requests("locations", "PUT", count=2, timeout=15)[1]
    assert patched.path.endswith("/LOC1/E1")
    assert patched.body["status"] == "CHARGING"
    assert Delivery.objects.filter(module="locations").exclude(receiver__roles__party_id="EMA").count() == 0
    assert emsp230.requests_to("locations") == []
    assert [loc["id"] for loc in emsp230.call("GET", emsp230.hub_url("locations", "SENDER")).json()["data"]] == []
    assert [loc["id"] for loc in emsp.call("GET", emsp.hub_url("locations", "SENDER")).json()["data"]] == ["LOC1"]


def test_a_location_put_without_ocpi_to_makes_a_targeted_location_a_broadcast_again(cpo, emsp, emsp230, celery_worker):
    body = location(last_updated=ts())
    assert cpo.call("PUT", url(cpo, "LOC1"), json=body, headers=to(EMSP_230_ROLE)).json()["status_code"] == 1000
    emsp230.wait_for_requests("locations", "PUT", timeout=15)
    assert emsp.requests_to("locations") == []

    assert push(cpo, "PUT", body, "LOC1")["status_code"] == 1000  # the same Location, now for everyone

    emsp.wait_for_requests("locations", "PUT", timeout=15)
    assert Location.objects.get(location_key="LOC1").target_id is None
    assert [loc["id"] for loc in emsp.call("GET", emsp.hub_url("locations", "SENDER")).json()["data"]] == ["LOC1"]
