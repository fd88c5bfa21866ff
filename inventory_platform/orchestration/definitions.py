"""What orchestration adds to the code location: the business-cadence jobs and their schedules, and, where
runs execute on this machine, the sensor that reclaims runs whose process died (run_recovery.py)."""

from __future__ import annotations

import dagster as dg

from inventory_platform.bronze.definitions import loads_in_dagster
from inventory_platform.orchestration.jobs import cadence_jobs
from inventory_platform.orchestration.run_recovery import build_reclaim_dead_runs_sensor
from inventory_platform.orchestration.schedules import build_schedules
from inventory_platform.settings import Settings


def build(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        jobs=cadence_jobs(),
        schedules=build_schedules(settings, partitioned=loads_in_dagster(settings)),
        sensors=[build_reclaim_dead_runs_sensor()] if settings.is_local else [],
    )
