"""Bronze's own jobs, the building blocks of the nightly batch: for manual runs and `inventory-platform materialize`."""

from __future__ import annotations

import dagster as dg

from inventory_platform.cdc.assets import CDC_EVENTS_KEY
from inventory_platform.transform.source_freshness import source_freshness_selection

LEDGER = dg.AssetKey(["bronze", "inventory_transactions"])


def batch_bronze() -> dg.AssetSelection:
    """The batch-loaded Bronze assets and their checks (bronze/cdc_events is appended by the stream loader,
    outside Dagster; the source-freshness checks run with Silver and Gold)."""
    return dg.AssetSelection.groups("bronze") - dg.AssetSelection.assets(CDC_EVENTS_KEY) - source_freshness_selection()


def bronze_jobs() -> list[dg.UnresolvedAssetJobDefinition]:
    return [
        dg.define_asset_job("load_reference_data", selection=batch_bronze() - dg.AssetSelection.assets(LEDGER),
                            description="Load product, warehouse, cost, FX and opening-balance files into Bronze."),
        dg.define_asset_job("load_inventory_transactions",
                            selection=dg.AssetSelection.assets(LEDGER) - source_freshness_selection(),
                            description="Load the day's (or a range of days') ledger files into Bronze."),
    ]
