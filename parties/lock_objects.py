"""Row locks of the parties app: the ORM's ``select_for_update`` (a no-op on SQLite, where write transactions are
serialised anyway). The drain's claim of a batch (``FOR UPDATE SKIP LOCKED``) is hand-written, in
``parties.rows.claim_due``."""

from __future__ import annotations

from parties.models import Delivery, DeliveryStatus, Platform


def platform_lock(pk: int) -> Platform:
    """The platform, locked for the rest of the transaction."""
    return Platform.objects.select_for_update().get(pk=pk)


def pending_sibling_lock(delivery: Delivery) -> Delivery | None:
    """The other pending row of ``delivery``'s (receiver, module, object), locked; None when there is none."""
    return (
        Delivery.objects.select_for_update()
        .filter(
            receiver_id=delivery.receiver_id,
            module=delivery.module,
            object_key=delivery.object_key,
            status=DeliveryStatus.PENDING,
        )
        .exclude(pk=delivery.pk)
        .first()
    )
