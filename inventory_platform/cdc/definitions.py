"""What CDC adds to the code location: the streamed Bronze table (loaded outside Dagster), its lag and
conservation checks, the micro-batch job and, locally, the sensors that record Bronze updates and start
micro-batches. On Redshift the streaming-ingestion materialized view loads Bronze and auto-refreshes, so
there is no local stream to conserve or watch from here."""

from __future__ import annotations

import dagster as dg

from inventory_platform.cdc.assets import build_cdc_conservation_check, build_cdc_lag_check, cdc_events_spec
from inventory_platform.cdc.jobs import cdc_microbatch_job
from inventory_platform.cdc.sensors import build_cdc_bronze_sensor, build_cdc_lag_sensor
from inventory_platform.settings import Settings


def build(settings: Settings) -> dg.Definitions:
    core = dg.Definitions(assets=[cdc_events_spec(settings)], asset_checks=[build_cdc_lag_check(settings)],
                          jobs=[cdc_microbatch_job()])
    if not settings.is_local:
        return core
    return dg.Definitions.merge(core, dg.Definitions(
        asset_checks=[build_cdc_conservation_check(settings)],
        sensors=[build_cdc_bronze_sensor(settings), build_cdc_lag_sensor(settings)]))
