"""G. A burst of EVSE status PATCHes (issue 11): 2,000 PATCHes spread over 60 s from one CPO, fanned out to
4 connected eMSPs through the delivery engine (outbox, real Celery worker, Redis).

Reports the lag of every (PATCH, eMSP) pair as scenario F measures it, and the broker's queue: its length is
sampled every 100 ms during the burst; it must not grow (the database holds what is due, the broker at most
one message per group of woken receivers).
"""

from __future__ import annotations

import threading
from typing import Any

from bench.client import Connection
from bench.harness import Context, Target
from bench.receivers import Receivers
from bench.scenarios.fan_out import FanOut


class QueueWatch(threading.Thread):
    """Samples the length of the broker's Celery queue (Redis list) until stopped."""

    def __init__(self, broker_url: str, queue: str = "celery") -> None:
        super().__init__(name="bench-queue-watch", daemon=True)
        import redis

        self.redis = redis.Redis.from_url(broker_url)
        self.queue = queue
        self.samples: list[int] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.1):
            self.samples.append(int(self.redis.llen(self.queue)))

    def summary(self) -> dict[str, Any]:
        self.stopping.set()
        self.join(2)
        samples = self.samples or [0]
        tail = samples[-max(len(samples) // 4, 1) :]
        return {"max": max(samples), "mean": round(sum(samples) / len(samples), 2), "last_quarter_max": max(tail)}


class Burst(FanOut):
    key = "burst"
    title = "G. Burst: 2,000 EVSE PATCHes in 60 s to 4 eMSPs: lag p95 < 1 s, broker queue flat"
    needs_worker = True

    def target_titles(self) -> list[tuple[str, str]]:
        return [("G", "Burst lag p95 < 1 s"), ("G2", "Broker queue does not grow during the burst")]

    def run(self, ctx: Context) -> None:
        receivers = Receivers()
        count = ctx.sizes.burst_emsps
        platforms = self._emsps(receivers, count)
        ctx.start_worker()
        connection = Connection(ctx.host, ctx.port)
        seconds = ctx.sizes.burst_seconds
        rate = ctx.sizes.burst_patches / seconds
        try:
            self._locations(ctx, connection)
            ctx.wait_deliveries_drained(timeout=180)
            receivers.take()
            watch = QueueWatch(ctx.env["CELERY_BROKER_URL"])
            watch.start()
            phase = self._phase(ctx, connection, receivers, count, rate, seconds=seconds)
            phase["broker_queue"] = watch.summary()
            ctx.say(f"  broker queue length during the burst: {phase['broker_queue']}")
        finally:
            connection.close()
            from parties.models import Platform

            Platform.objects.filter(pk__in=platforms).update(status="SUSPENDED")
            ctx.stop_worker()
            receivers.stop()
        results = {"emsps": count, "patches": ctx.sizes.burst_patches, "seconds": seconds, "phase": phase}
        ctx.record(self.key, results)
        queue = phase["broker_queue"]
        ctx.add_target(
            Target(
                key="G", title="Burst lag p95 < 1 s", figure=phase["lag_p95_ms"], unit="ms", limit=1000.0,
                comparison="<", compared="figure",
                note=f"{phase['deliveries_per_s']} deliveries/s, missing {phase['missing']}",
            ).judge()
        )  # fmt: skip
        ctx.add_target(
            Target(
                key="G2", title="Broker queue does not grow during the burst", figure=queue["last_quarter_max"],
                unit="messages", limit=max(count, 1) * 2 + 0.5, comparison="<", compared="figure",
                note=f"queue length max {queue['max']}, mean {queue['mean']} (sampled every 100 ms)",
            ).judge()
        )  # fmt: skip
