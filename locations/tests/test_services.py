"""Locations services, selectors, documents and the delivery renderer, against the database (no HTTP)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from locations import services
from locations.documents import LocationRef, merge_patch, with_connector
from locations.models import Evse, EvseStatusChange, Location
from locations.outbound import render_location_delivery
from locations.selectors import location_list_published, location_published_get
from ocpi_hub.api.routing import PartyRef
from ocpi_hub.exceptions import InvalidParameters, NotFound
from parties.models import Delivery, Platform
from tariffs.models import Tariff
from tariffs.services import tariff_put
from tests.bodies import CPO_ROLE, connector, evse, location, location_230, ts
from tests.factories import EndpointFactory, PlatformRoleFactory, party_platform

pytestmark = pytest.mark.django_db


def make_platform(
    name: str,
    role: str,
    cc: str,
    pid: str,
    *,
    version: str = "2.2.1",
    status: str = "CONNECTED",
    modules: tuple[str, ...] = ("locations", "tariffs"),
) -> Platform:
    platform = party_platform(name, role, cc, pid, version=version, status=status)
    for module in modules:
        EndpointFactory(platform=platform, identifier=module, url=f"http://127.0.0.1:9/{name}/{version}/{module}/")
    return platform


@pytest.fixture
def cpo() -> Platform:
    return make_platform("cpo", "CPO", CPO_ROLE["country_code"], CPO_ROLE["party_id"], version="2.3.0")


@pytest.fixture
def emsp() -> Platform:
    return make_platform("emsp", "EMSP", "NL", "EMA")


def put(cpo: Platform, body: dict, *ids: str, version: str = "2.3.0") -> services.PushResult:
    return services.location_put(platform=cpo, version=version, ref=LocationRef("nl", "cpo", *ids), body=body)


def patch(cpo: Platform, body: dict, *ids: str) -> services.PushResult:
    return services.location_patch(platform=cpo, version="2.3.0", ref=LocationRef("NL", "CPO", *ids), body=body)


def test_put_stores_the_canonical_document_upper_cases_the_owner_and_keeps_the_id_spelling(cpo):
    assert put(cpo, location("loc-a", country_code="nl"), "loc-a").applied
    row = Location.objects.get()
    assert (row.country_code, row.party_id, row.location_id, row.location_key) == ("NL", "CPO", "loc-a", "LOC-A")
    assert row.owner == cpo
    assert row.publish
    assert row.document["id"] == "loc-a"
    assert row.last_updated.isoformat() == "2024-05-01T12:00:00+00:00"
    assert list(Evse.objects.values_list("uid", "uid_key", "status")) == [
        ("E1", "E1", "AVAILABLE"),
        ("E2", "E2", "AVAILABLE"),
    ]


def test_parents_take_the_newest_last_updated_of_their_children(cpo):
    put(cpo, location(last_updated=ts(100)), "LOC1")
    put(cpo, connector("1", last_updated=ts(50)), "LOC1", "E1", "1")  # new for the connector: applied
    document = Location.objects.get().document
    assert document["last_updated"] == ts(100)
    assert document["evses"][0]["last_updated"] == ts(50)
    put(cpo, connector("9", last_updated=ts(200)), "LOC1", "E1", "9")
    document = Location.objects.get().document
    assert document["last_updated"] == ts(200)
    assert document["evses"][0]["last_updated"] == ts(200)
    assert [c["id"] for c in document["evses"][0]["connectors"]] == ["1", "2", "9"]


def test_stale_and_identical_updates_change_nothing(cpo, emsp):
    put(cpo, location(last_updated=ts(100)), "LOC1")
    before = Location.objects.get().updated_at
    assert put(cpo, location(last_updated=ts(99)), "LOC1") == services.PushResult(False, services.STALE)
    assert put(cpo, location(last_updated=ts(100)), "LOC1") == services.PushResult(False, services.UNCHANGED)
    assert patch(cpo, {"name": "x", "last_updated": ts(1)}, "LOC1").message == services.STALE
    assert Location.objects.get().updated_at == before
    assert Delivery.objects.filter(module="locations").count() == 1


def test_patch_validates_the_merged_object_with_the_full_model(cpo):
    put(cpo, location(), "LOC1")
    with pytest.raises(ValidationError, match="max_amperage"):
        patch(cpo, {"max_amperage": None, "last_updated": ts()}, "LOC1", "E1", "1")
    with pytest.raises(InvalidParameters, match="last_updated"):
        patch(cpo, {"max_amperage": 1}, "LOC1", "E1", "1")
    with pytest.raises(InvalidParameters, match="last_updated"):
        patch(cpo, {"last_updated": "yesterday"}, "LOC1")
    assert Location.objects.get().document["evses"][0]["connectors"][0]["max_amperage"] == 16


def test_unknown_parents_and_foreign_owners_are_2001(cpo, emsp):
    with pytest.raises(InvalidParameters, match="Unknown location"):
        put(cpo, evse(), "LOC1", "E1")
    put(cpo, location(), "LOC1")
    with pytest.raises(InvalidParameters, match="Unknown EVSE E7"):
        put(cpo, connector(), "LOC1", "E7", "1")
    with pytest.raises(InvalidParameters, match="not one of your registered roles"):
        services.location_put(platform=emsp, version="2.2.1", ref=LocationRef("NL", "EMA", "X"), body={})


def test_status_history_follows_every_change_and_removed_evses_stay(cpo):
    put(cpo, location(last_updated=ts(0)), "LOC1")
    patch(cpo, {"status": "CHARGING", "last_updated": ts(10)}, "LOC1", "E1")
    patch(cpo, {"floor_level": "1", "last_updated": ts(20)}, "LOC1", "E1")
    put(cpo, location(evses=[evse("E1", status="CHARGING", last_updated=ts(30))], last_updated=ts(30)), "LOC1")
    changes = EvseStatusChange.objects.order_by("changed_at", "id").values_list("evse__uid", "status", "changed_at")
    assert [(uid, status) for uid, status, _ in changes] == [
        ("E1", "AVAILABLE"),
        ("E2", "AVAILABLE"),
        ("E1", "CHARGING"),
        ("E2", "REMOVED"),
    ]
    assert Evse.objects.get(uid="E2").status == "REMOVED"


def test_broadcast_goes_to_connected_receivers_with_a_broadcast_role_except_the_owner(cpo, emsp):
    make_platform("nsp", "NSP", "DE", "NSP")
    make_platform("planned", "EMSP", "DE", "PLA", status="PLANNED")
    make_platform("other-cpo", "CPO", "DE", "CPB")
    make_platform("no-endpoint", "EMSP", "DE", "NOE", modules=("tariffs",))
    PlatformRoleFactory(platform=cpo, role="EMSP", country_code="NL", party_id="OWN")  # owner: never
    put(cpo, location(), "LOC1")
    receivers = set(Delivery.objects.filter(module="locations").values_list("receiver__name", flat=True))
    assert receivers == {"emsp", "nsp"}


def test_changes_merge_into_one_pending_delivery_per_receiver_and_object(cpo, emsp):
    put(cpo, location(last_updated=ts()), "LOC1")
    patch(cpo, {"status": "CHARGING", "last_updated": ts()}, "LOC1", "E1")
    delivery = Delivery.objects.get(module="locations")
    assert (delivery.object_key, delivery.target) == ("NL/CPO/LOC1", "")
    Delivery.objects.all().delete()
    patch(cpo, {"status": "BLOCKED", "last_updated": ts()}, "LOC1", "E1")
    put(cpo, connector("1", last_updated=ts()), "LOC1", "E1", "1")
    assert Delivery.objects.get(module="locations").target == "E1"


def test_renderer_pushes_the_current_state_in_the_receiver_version(cpo, emsp):
    receiver_230 = make_platform("emsp230", "EMSP", "BE", "EMB", version="2.3.0")
    put(cpo, location_230(), "LOC1")
    put(cpo, connector("4", last_updated=ts()), "LOC1", "E3", "4")
    deliveries = {d.receiver.name: d for d in Delivery.objects.filter(module="locations")}
    for delivery in deliveries.values():
        Delivery.objects.filter(pk=delivery.pk).update(target="E3/4")
        delivery.refresh_from_db()
    request_230 = render_location_delivery(deliveries[receiver_230.name])
    request_221 = render_location_delivery(deliveries["emsp"])
    assert request_230.url == "http://127.0.0.1:9/emsp230/2.3.0/locations/NL/CPO/LOC1/E3/4"
    assert request_230.body["id"] == "4"
    assert request_230.method == "PUT"
    # 2.2.1 never saw E3 (its only connector was MCS): the whole EVSE is pushed, without the MCS connector
    assert request_221.url == "http://127.0.0.1:9/emsp/2.2.1/locations/NL/CPO/LOC1/E3"
    assert [c["id"] for c in request_221.body["connectors"]] == ["4"]
    assert (request_221.routing.sender, request_221.routing.receiver) == (PartyRef("NL", "HUB"), PartyRef("NL", "EMA"))
    Delivery.objects.filter(pk=deliveries["emsp"].pk).update(target="E3/3")
    assert render_location_delivery(Delivery.objects.get(pk=deliveries["emsp"].pk)).url.endswith("/LOC1/E3")
    Delivery.objects.filter(pk=deliveries["emsp"].pk).update(target="E9")
    assert render_location_delivery(Delivery.objects.get(pk=deliveries["emsp"].pk)).url.endswith("/LOC1")


def test_sender_selectors_hide_unpublished_and_resolve_id_collisions(cpo):
    other = make_platform("other", "CPO", "DE", "CPB")
    put(cpo, location("LOC1"), "LOC1")
    put(cpo, location("LOC2", publish=False), "LOC2")
    services.location_put(
        platform=other,
        version="2.2.1",
        ref=LocationRef("DE", "CPB", "loc1"),
        body=location("loc1", country_code="DE", party_id="CPB"),
    )
    assert location_list_published().count() == 2
    assert location_list_published(owner=PartyRef("DE", "CPB")).get().location_id == "loc1"
    with pytest.raises(InvalidParameters, match="OCPI-to"):
        location_published_get(location_id="LOC1")
    assert location_published_get(location_id="LOC1", owner=PartyRef("DE", "CPB")).owner == other
    with pytest.raises(NotFound):
        location_published_get(location_id="LOC2")


def test_initial_sync_queues_tariffs_and_published_locations_of_others(cpo):
    late = make_platform("late", "EMSP", "NL", "LAT", modules=("locations",))
    put(cpo, location("LOC1"), "LOC1")
    put(cpo, location("LOC2", publish=False), "LOC2")
    tariff_put(
        platform=cpo,
        version="2.3.0",
        country_code="NL",
        party_id="CPO",
        tariff_id="T1",
        body={
            "country_code": "NL",
            "party_id": "CPO",
            "id": "T1",
            "currency": "EUR",
            "tax_included": "NO",
            "elements": [{"price_components": [{"type": "FLAT", "price": 1, "step_size": 1}]}],
            "last_updated": ts(),
        },
    )
    Delivery.objects.all().delete()
    progress: list[tuple[int, int]] = []
    assert services.initial_sync(late, progress=lambda done, total: progress.append((done, total))) == 1
    assert list(Delivery.objects.values_list("receiver__name", "module", "object_key")) == [
        ("late", "locations", "NL/CPO/LOC1")
    ]  # no tariffs receiver endpoint
    assert progress == [(1, 1)]
    PlatformRoleFactory(platform=cpo, role="EMSP", country_code="NL", party_id="OWN")
    assert services.initial_sync(cpo) == 0  # its own objects are not sent back


def test_merge_patch_replaces_fields_and_removes_nulls():
    stored = {"a": 1, "coordinates": {"latitude": "1", "longitude": "2"}, "evses": [1, 2], "name": "x"}
    merged = merge_patch(stored, {"coordinates": {"latitude": "3"}, "evses": [3], "name": None})
    assert merged == {"a": 1, "coordinates": {"latitude": "3"}, "evses": [3]}
    assert stored["evses"] == [1, 2]  # not modified in place


def test_with_connector_needs_the_evse():
    with pytest.raises(KeyError):
        with_connector(location(), "E9", connector())


def test_admin_pages_are_read_only_and_show_evses_history_and_deliveries(cpo, emsp, admin_client):
    put(cpo, location(), "LOC1")
    tariff_put(
        platform=cpo,
        version="2.3.0",
        country_code="NL",
        party_id="CPO",
        tariff_id="T1",
        body={
            "country_code": "NL",
            "party_id": "CPO",
            "id": "T1",
            "currency": "EUR",
            "tax_included": "NO",
            "elements": [{"price_components": [{"type": "FLAT", "price": 1, "step_size": 1}]}],
            "last_updated": ts(),
        },
    )
    row, evse_row = Location.objects.get(), Evse.objects.get(uid="E1")
    for url in ("/admin/locations/location/", "/admin/locations/evse/", "/admin/tariffs/tariff/"):
        assert admin_client.get(url).status_code == 200, url
    page = admin_client.get(f"/admin/locations/location/{row.pk}/change/").content.decode()
    assert "NL*CPO*EE1" in page
    assert "emsp" in page
    assert "pending" in page
    assert "AVAILABLE" in admin_client.get(f"/admin/locations/evse/{evse_row.pk}/change/").content.decode()
    tariff_page = admin_client.get(f"/admin/tariffs/tariff/{Tariff.objects.get().pk}/change/").content.decode()
    assert "Delivery state" in tariff_page
    assert "pending" in tariff_page
    assert admin_client.get("/admin/locations/location/add/").status_code == 403


# --- size: one push is one transaction, and no statement grows with the Location -------------------------------


def _many_evses(count: int, status: str = "AVAILABLE") -> list[dict]:
    one = evse("X", connectors=[connector("1")])
    return [{**one, "uid": f"E{index}", "evse_id": f"NL*CPO*E{index}", "status": status} for index in range(count)]


class _ParameterCounts:
    """Records the number of bind parameters of every statement sent (a Django execute wrapper)."""

    def __init__(self):
        self.counts: list[int] = []

    def __call__(self, execute, sql, params, many, context):
        self.counts.append(len(params or ()))
        return execute(sql, params, many, context)


def _largest_statement(cpo: Platform, evses: int, location_id: str) -> int:
    from django.db import connection

    counts = _ParameterCounts()
    with connection.execute_wrapper(counts):
        put(cpo, location(location_id, evses=_many_evses(evses)), location_id)
        put(cpo, location(location_id, evses=_many_evses(evses, "CHARGING"), last_updated=ts(5)), location_id)
    return max(counts.counts)


def test_no_statement_of_a_location_push_grows_with_its_evses(cpo, emsp):
    assert _largest_statement(cpo, 5, "SMALL") == _largest_statement(cpo, 300, "LARGE")
    assert Evse.objects.filter(location__location_id="LARGE").count() == 300
    assert EvseStatusChange.objects.filter(evse__location__location_id="LARGE").count() == 600


def test_a_location_with_more_evses_than_postgresql_has_bind_parameters_is_stored_whole(cpo, emsp, settings):
    settings.OCPI_HUB_MAX_EVSES = 20_000  # above the default: what counts here is that the statements hold
    put(cpo, location("HUGE", evses=_many_evses(17_000)), "HUGE")
    assert Evse.objects.filter(location__location_id="HUGE").count() == 17_000
    assert EvseStatusChange.objects.filter(evse__location__location_id="HUGE").count() == 17_000
    assert Delivery.objects.filter(object_key="NL/CPO/HUGE").count() == 1


def test_a_push_that_fails_midway_leaves_nothing_written(cpo, emsp):
    """The history INSERT (the push's last statement) fails: the Location, its EVSE rows and the deliveries
    written before it are gone too."""
    from django.db import connection

    def refuse_history(execute, sql, params, many, context):
        if sql.startswith(f"INSERT INTO {EvseStatusChange._meta.db_table}"):
            raise RuntimeError("the database refused the history")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_history), pytest.raises(RuntimeError):
        put(cpo, location("HALF", evses=_many_evses(50)), "HALF")
    assert not Location.objects.filter(location_id="HALF").exists()
    assert not Evse.objects.exists()
    assert not Delivery.objects.exists()


def test_too_many_evses_or_connectors_are_refused_before_anything_is_written(cpo, emsp, settings):
    settings.OCPI_HUB_MAX_EVSES = 10
    with pytest.raises(ValidationError, match=r"evses\n.*at most 10 items \(OCPI_HUB_MAX_EVSES\)"):
        put(cpo, location("BIG", evses=_many_evses(11)), "BIG")
    settings.OCPI_HUB_MAX_CONNECTORS = 2
    connectors = [connector(str(index)) for index in range(3)]
    with pytest.raises(ValidationError, match=r"connectors\n.*at most 2 items \(OCPI_HUB_MAX_CONNECTORS\)"):
        put(cpo, location("BIG", evses=[evse("E1", connectors=connectors)]), "BIG")
    assert not Location.objects.exists()
    assert not Delivery.objects.exists()
