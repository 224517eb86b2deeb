"""The benchmark scenarios, in the order a full run measures them.

The baseline comes first (and the throughput scenarios measure it again, alternately with themselves); the
latency scenario runs before the ones that leave undelivered outbox rows behind, so its Celery worker only
delivers its own pushes.
A scenario whose module the hub does not serve yet is reported as SKIP. To add one: write a
``bench.scenarios.base.Scenario`` subclass and list it in ``ORDER`` and ``load``.

The scenario modules import Django models: ``load()`` them only after ``django.setup()``.
"""

from __future__ import annotations

from typing import Any

ORDER = [
    "push_latency",
    "fan_out",
    "burst",
    "location_put",
    "cdr_post",
    "cdr_pricing",
    "baselines",
    "scale_out",
    "location_paging",
    "sessions_paging",
    "authorize",
]
ALIASES = {
    "B": "location_put",
    "C": "location_paging",
    "D": "push_latency",
    "F": "fan_out",
    "G": "burst",
    "E1": "cdr_post",
    "E1P": "cdr_pricing",
    "BL": "baselines",
    "SO": "scale_out",
    "E2": "sessions_paging",
    "E3": "authorize",
    "E": "cdr_post,sessions_paging,authorize",
}


def load() -> dict[str, Any]:
    """Scenario instances by key, in ``ORDER``."""
    from bench.scenarios.authorize import Authorize
    from bench.scenarios.baselines import Baselines
    from bench.scenarios.burst import Burst
    from bench.scenarios.cdr_post import CdrPost, CdrPricing
    from bench.scenarios.fan_out import FanOut
    from bench.scenarios.location_paging import LocationPaging
    from bench.scenarios.location_put import LocationPut
    from bench.scenarios.push_latency import PushLatency
    from bench.scenarios.scale_out import ScaleOut
    from bench.scenarios.sessions_paging import SessionsPaging

    instances = [
        PushLatency(),
        FanOut(),
        Burst(),
        LocationPut(),
        CdrPost(),
        CdrPricing(),
        Baselines(),
        ScaleOut(),
        LocationPaging(),
        SessionsPaging(),
        Authorize(),
    ]
    by_key = {scenario.key: scenario for scenario in instances}
    return {key: by_key[key] for key in ORDER}
