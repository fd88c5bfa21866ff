"""The CDC micro-batch job, started by cdc_bronze_sensor (cdc/sensors.py) when Bronze grows."""

from __future__ import annotations

import dagster as dg

from inventory_platform.cdc.assets import CDC_EVENTS_KEY

MICROBATCH_JOB = "cdc_microbatch"


def cdc_microbatch_job() -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        MICROBATCH_JOB,
        # Silver and Gold downstream of the events; not ops assets such as the monthly cold-tier offload.
        selection=dg.AssetSelection.assets(CDC_EVENTS_KEY).downstream(include_self=False)
        - dg.AssetSelection.groups("ops", include_sources=True),
        description="Merge newly streamed CDC events into Silver (ledger, stock levels) and refresh the Gold months "
                    "they touch, with every dbt test. Started by cdc_bronze_sensor when Bronze grows.")
