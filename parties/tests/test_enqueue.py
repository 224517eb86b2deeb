"""The outbox insert (``delivery_enqueue`` / ``delivery_broadcast``): one row pending per receiver and object,
later changes merged into it, the broadcast reaching exactly the receivers ``receivers_for`` names."""

from __future__ import annotations

import pytest

from parties.models import Delivery, Platform
from parties.selectors import receivers_for
from parties.services.delivery import delivery_broadcast, delivery_enqueue
from tests.factories import PlatformFactory, PlatformRoleFactory, party_platform

pytestmark = pytest.mark.django_db
ROLES = ("EMSP", "NSP")


def platform(name: str, role: str = "EMSP", *, status: str = "CONNECTED", modules=("locations",)) -> Platform:
    return party_platform(name, role, "NL", name[:3].upper(), receives=tuple(modules), status=status)


@pytest.mark.parametrize(
    ("first", "second", "merged"),
    [
        ("", "", ""),
        ("E1", "E1", "E1"),
        ("E1/1", "E1/1", "E1/1"),
        ("", "E1/1", ""),
        ("E1/1", "", ""),
        ("E1", "E1/1", "E1"),  # the connector's EVSE is already queued
        ("E1/1", "E1", "E1"),
        ("E1/1", "E1/2", "E1"),  # two connectors of one EVSE: the EVSE
        ("E1", "E2", ""),  # two EVSEs: the Location
        ("E1/1", "E2/1", ""),
        ("E1/1", "E10", ""),  # a prefix of the text is not a parent
        ("E10/1", "E1/1", ""),
    ],
)
def test_a_second_change_merges_into_the_pending_row_with_the_common_parent_as_target(first, second, merged):
    receiver = platform("emsp")
    delivery_enqueue(receiver=receiver, module="locations", object_key="NL/CPO/L1", target=first)
    delivery_enqueue(receiver=receiver, module="locations", object_key="NL/CPO/L1", target=second)
    assert list(Delivery.objects.values_list("status", "target")) == [("pending", merged)]


def test_a_row_in_flight_does_not_absorb_changes_a_new_pending_row_is_queued():
    receiver = platform("emsp")
    delivery_enqueue(receiver=receiver, module="locations", object_key="NL/CPO/L1", correlation_id="first")
    Delivery.objects.update(status="in_flight")
    delivery_enqueue(receiver=receiver, module="locations", object_key="NL/CPO/L1", target="E1")
    delivery_enqueue(receiver=receiver, module="locations", object_key="NL/CPO/L2")
    rows = Delivery.objects.order_by("pk").values_list("status", "object_key", "target", "correlation_id")
    assert list(rows) == [
        ("in_flight", "NL/CPO/L1", "", "first"),
        ("pending", "NL/CPO/L1", "E1", ""),
        ("pending", "NL/CPO/L2", "", ""),
    ]


def test_broadcast_reaches_exactly_the_receivers_the_selector_names():
    owner = platform("owner", "CPO")
    expected = {platform("emsp").pk, platform("nsp", "NSP").pk}
    platform("planned", status="PLANNED")
    expected.add(platform("offline", status="OFFLINE").pk)  # silent, not unregistered: its rows wait for it
    platform("other-cpo", "CPO")
    platform("no-endpoint", modules=("tariffs",))
    two_roles = platform("both")
    PlatformRoleFactory(platform=two_roles, role="NSP", country_code="NL", party_id="BO2")
    expected.add(two_roles.pk)

    count = delivery_broadcast(module="locations", object_key="NL/OWN/L1", roles=ROLES, exclude=owner)
    queued = set(Delivery.objects.values_list("receiver_id", flat=True))
    selected = set(receivers_for("locations", roles=ROLES, exclude=owner).values_list("pk", flat=True))
    assert queued == expected == selected
    assert count == 4 == Delivery.objects.count()  # one row per receiver, even with two matching roles


def test_broadcast_again_merges_instead_of_adding_rows():
    platform("emsp")
    platform("nsp", "NSP")
    for target in ("E1/1", "E1/2"):
        assert delivery_broadcast(module="locations", object_key="K", roles=ROLES, exclude=None, target=target) == 2
    assert sorted(Delivery.objects.values_list("target", flat=True)) == ["E1", "E1"]


@pytest.mark.parametrize(
    ("failed", "pending", "sent"),
    [("", "E2", ""), ("E1/1", "E1/2", "E1"), ("E1", "E1/1", "E1"), ("E1/1", "E1/1", "E1/1")],
)
def test_a_failed_attempt_hands_its_target_to_the_pending_change_that_supersedes_it(failed, pending, sent):
    from django.utils import timezone

    from parties.services.drain import Result, _retry_or_die

    receiver = PlatformFactory(name="emsp-x", token_out="token-x")
    now = timezone.now()
    fields = {"receiver": receiver, "module": "locations", "object_key": "NL/CPO/LOC2"}
    fields |= {"next_attempt_at": now, "queued_at": now}
    in_flight = Delivery.objects.create(**fields, target=failed, status="in_flight", attempts=1)
    later = Delivery.objects.create(**fields, target=pending, status="pending")

    assert _retry_or_die(Result(in_flight, "retry", error="receiver down"), now) == "superseded"
    later.refresh_from_db()
    assert (later.status, later.target) == ("pending", sent)  # the receiver never got the failed row's change
