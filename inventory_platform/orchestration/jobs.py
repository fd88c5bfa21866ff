"""The business cadence over every layer: the nightly batch and the month-end close (their schedules:
orchestration/schedules.py). Each layer's own building-block jobs live with the layer (bronze/jobs.py,
transform/jobs.py, cdc/jobs.py)."""

from __future__ import annotations

import dagster as dg

from inventory_platform.cdc.assets import CDC_EVENTS_KEY
from inventory_platform.cold_tier.jobs import cold_tier_checks_selection
from inventory_platform.transform.source_freshness import source_freshness_selection


def cadence_selection() -> dg.AssetSelection:
    """Every layer the platform builds itself (batch Bronze where Dagster loads it, Silver, Gold) with every
    check, the Bronze source freshness included; bronze/cdc_events is appended by the stream loader. The cold
    tier's checks too (locally), after the ledger they read: the offload itself stays monthly."""
    layers = dg.AssetSelection.groups("bronze", "silver", "gold") - dg.AssetSelection.assets(CDC_EVENTS_KEY)
    return layers.materializable() | source_freshness_selection() | cold_tier_checks_selection()


def cadence_jobs() -> list[dg.UnresolvedAssetJobDefinition]:
    return [
        dg.define_asset_job(
            "daily_batch_load", selection=cadence_selection(),
            description="Nightly batch: the day's ledger partition and new reference-data files into Bronze, "
                        "then Silver and Gold rebuilt with every check."),
        dg.define_asset_job(
            "monthly_close", selection=cadence_selection(),
            description="Month-end close: the closed month's ledger days reloaded (late files), reference data, "
                        "and Silver and Gold rebuilt with every check, making the month's Gold numbers final."),
    ]
