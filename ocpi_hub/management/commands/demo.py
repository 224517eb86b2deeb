"""A guided tour of the running hub: a simulated CPO (OCPI 2.2.1) and eMSP (OCPI 2.3.0) connect to it and
data flows from one to the other through it.

It needs the hub running with the same settings (`make run` in another terminal): the simulated parties
talk to it over HTTP, and its Celery worker makes the pushes. The parties are the OCPI party servers of the
test suite (``ocpi_party/party.py``), served on 127.0.0.1 by this process. At the end the hub suspends both
platforms (their servers close with this process); platforms, objects and deliveries stay in the admin to look
at. Running the demo again reactivates and reuses them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Count

from ocpi_hub.api import versions
from ocpi_hub.exceptions import OcpiError
from parties.models import ConnectionStatus, Delivery, Platform
from parties.selectors import platform_for_party
from parties.services.clientinfo import platform_set_status
from parties.services.credentials import hub_register, platform_invite, platform_reinvite

CPO: dict[str, Any] = {"role": "CPO", "country_code": "NL", "party_id": "DCP", "business_details": {"name": "Demo CPO"}}
EMSP: dict[str, Any] = {
    "role": "EMSP",
    "country_code": "NL",
    "party_id": "DEM",
    "business_details": {"name": "Demo eMSP"},
}
LOCATION_ID, TARIFF_ID, EVSE_UID = "DEMO-LOC1", "DEMO-T1", "DEMO-E1"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _tariff() -> dict[str, Any]:
    """An OCPI 2.2.1 Tariff: 0.35 EUR per kWh excluding VAT."""
    return {
        "country_code": CPO["country_code"],
        "party_id": CPO["party_id"],
        "id": TARIFF_ID,
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.35, "vat": 21.0, "step_size": 1}]}],
        "last_updated": _now(),
    }


def _location() -> dict[str, Any]:
    """An OCPI 2.2.1 Location with one EVSE and one Type 2 socket using the tariff above."""
    connector = {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 32,
        "tariff_ids": [TARIFF_ID],
        "last_updated": _now(),
    }
    evse = {
        "uid": EVSE_UID,
        "evse_id": "NL*DCP*EDEMO1",
        "status": "AVAILABLE",
        "connectors": [connector],
        "last_updated": _now(),
    }
    return {
        "country_code": CPO["country_code"],
        "party_id": CPO["party_id"],
        "id": LOCATION_ID,
        "publish": True,
        "name": "Demo station",
        "address": "Stationsplein 1",
        "city": "Utrecht",
        "postal_code": "3511CE",
        "country": "NLD",
        "coordinates": {"latitude": "52.089444", "longitude": "5.110278"},
        "evses": [evse],
        "time_zone": "Europe/Amsterdam",
        "last_updated": _now(),
    }


def _reactivated(platform: Platform | None) -> Platform | None:
    """A demo platform of an earlier run, CONNECTED again (as the admin's Reactivate action does)."""
    if platform is None or platform.status != ConnectionStatus.SUSPENDED:
        return platform
    if not platform.token_out:
        raise CommandError(f"{platform} (platform #{platform.pk}) unregistered itself; the demo cannot reuse it.")
    with transaction.atomic():
        platform_set_status(platform=platform, status=ConnectionStatus.CONNECTED)
    return platform


class Command(BaseCommand):
    help = (
        "Show data flowing through the running hub: a simulated CPO (2.2.1) and eMSP (2.3.0) connect, the CPO "
        "publishes a Tariff and a Location, the hub pushes them to the eMSP, the eMSP pulls. Start the hub first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wait", type=float, default=30.0, help="Seconds to wait for each push (default 30).")

    def handle(self, *args: Any, **options: Any) -> None:
        from ocpi_party.party import OcpiParty  # the simulated parties, shipped with the hub (not the tests')

        self.wait = options["wait"]
        hub_versions = versions.versions_url()
        self._check_hub(hub_versions)
        with (
            OcpiParty(version="2.2.1", roles=[CPO]) as cpo,
            OcpiParty(version="2.3.0", roles=[EMSP]) as emsp,
        ):
            platforms: list[Platform] = []
            try:
                platforms += self._connect(cpo, emsp, hub_versions)
                self._publish(cpo, emsp)
                self._pull(emsp)
                self._summary(platforms[-1])
            except OcpiError as exc:
                raise CommandError(f"OCPI {exc.ocpi_status}: {exc.message}") from exc
            finally:
                self._suspend(platforms)

    # --- steps ------------------------------------------------------------------------------------------

    def _check_hub(self, hub_versions: str) -> None:
        try:
            requests.get(hub_versions, timeout=5)
        except requests.RequestException as exc:
            raise CommandError(
                f"The hub does not answer at {hub_versions} ({exc.__class__.__name__}). Start it first, e.g. "
                "`make run` in another terminal, with the same environment (OCPI_HUB_BASE_URL, DATABASE_URL)."
            ) from None
        self._say(f"The hub answers at {hub_versions}.")

    def _connect(self, cpo: Any, emsp: Any, hub_versions: str) -> list[Platform]:
        self._step("1. A CPO (OCPI 2.2.1) registers with the hub, using token A from an invitation")
        existing = _reactivated(platform_for_party(CPO["country_code"], CPO["party_id"]))
        if existing is None:
            existing, token_a = platform_invite(name="Demo CPO")
        else:
            token_a = platform_reinvite(platform=existing)
        cpo.register_with(hub_versions, token_a)
        self._say(f"   CPO {cpo.url}: registered on OCPI {cpo.hub_version}, it now calls the hub with token C")

        self._step("2. The hub registers with an eMSP (OCPI 2.3.0), using a token A the eMSP issued")
        platform = hub_register(
            versions_url=emsp.versions_url,
            token_a=emsp.issue_token_a(),
            name="Demo eMSP",
            platform=_reactivated(platform_for_party(EMSP["country_code"], EMSP["party_id"])),
        )
        self._say(f"   eMSP {emsp.url}: platform #{platform.pk} {platform.status}, OCPI {platform.version}")
        return [existing, platform]

    def _publish(self, cpo: Any, emsp: Any) -> None:
        self._step("3. The CPO publishes a Tariff and a Location (PUT on the hub's receiver interfaces)")
        owner = f"{CPO['country_code']}/{CPO['party_id']}"
        self._push(cpo, "PUT", f"{cpo.hub_url('tariffs', 'RECEIVER')}/{owner}/{TARIFF_ID}", _tariff())
        location_url = f"{cpo.hub_url('locations', 'RECEIVER')}/{owner}/{LOCATION_ID}"
        self._push(cpo, "PUT", location_url, _location())

        self._step("4. The hub's worker pushes both to the eMSP, rendered in OCPI 2.3.0")
        self._await(emsp, "tariffs", TARIFF_ID)
        self._await(emsp, "locations", LOCATION_ID)

        self._step("5. The EVSE starts charging: the CPO PATCHes its status; the eMSP gets the update")
        emsp.clear_received()
        self._push(cpo, "PATCH", f"{location_url}/{EVSE_UID}", {"status": "CHARGING", "last_updated": _now()})
        self._await(emsp, "locations", LOCATION_ID)

    def _pull(self, emsp: Any) -> None:
        self._step("6. The eMSP pulls Locations from the hub's sender interface (paginated)")
        response = emsp.call("GET", f"{emsp.hub_url('locations', 'SENDER')}?limit=10")
        body = response.json()
        ids = [item.get("id") for item in body.get("data") or []]
        self._say(
            f"   GET -> HTTP {response.status_code}, OCPI {body.get('status_code')}, "
            f"X-Total-Count {response.headers.get('X-Total-Count')}: {', '.join(map(str, ids)) or 'none'}"
        )

    def _summary(self, emsp_platform: Platform) -> None:
        self._step("7. The hub's outbox: the deliveries to the eMSP")
        counts = (
            Delivery.objects.filter(receiver=emsp_platform)
            .values("module", "status")
            .annotate(n=Count("id"))
            .order_by("module", "status")
        )
        for row in counts:
            self._say(f"   {row['module']:<14} {row['status']:<11} {row['n']}")

    def _suspend(self, platforms: list[Platform]) -> None:
        if not platforms:
            return
        self._step("8. The demo ends: the hub suspends both platforms (as the admin's Suspend action does)")
        for platform in platforms:
            with transaction.atomic():
                platform_set_status(platform=platform, status=ConnectionStatus.SUSPENDED)
            self._say(f"   {platform.name}: {platform.status}")
        self._say(
            "\nSee the platforms, deliveries (with each attempt) and objects in the admin: "
            f"{versions.base_url()}/admin/ (python manage.py createsuperuser for a login)."
        )

    # --- helpers ----------------------------------------------------------------------------------------

    def _push(self, party: Any, method: str, url: str, body: dict[str, Any]) -> None:
        response = party.call(method, url, body)
        status = response.json().get("status_code") if response.content else None
        self._say(f"   {method} {url} -> HTTP {response.status_code}, OCPI {status}")
        if status != 1000:
            raise CommandError(f"The hub refused the {method}: {response.text[:500]}")

    def _await(self, emsp: Any, module: str, object_id: str) -> None:
        def arrived(received: list[Any]) -> bool:
            return any(r.module == module and object_id in r.path and r.response_status == 200 for r in received)

        found = self._poll(lambda: arrived(emsp.snapshot()))
        if not found:
            raise CommandError(
                f"No {module} push reached the eMSP within {self.wait:g} s: is the hub's Celery worker running? "
                "See the Deliveries page of the admin for the error."
            )
        for rec in emsp.requests_to(module):
            if object_id in rec.path:
                self._say(f"   eMSP received {rec.method} {rec.path}")

    def _poll(self, condition: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + self.wait
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.2)
        return False

    def _step(self, title: str) -> None:
        self._say(f"\n{title}")

    def _say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()
