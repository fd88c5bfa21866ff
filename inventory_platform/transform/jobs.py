"""The dbt side's own jobs: Silver and Gold rebuilt with every test, and the Bronze source-freshness check."""

from __future__ import annotations

import dagster as dg

from inventory_platform.transform.source_freshness import source_freshness_selection

SILVER_GOLD = dg.AssetSelection.groups("silver", "gold")


def transform_jobs() -> list[dg.UnresolvedAssetJobDefinition]:
    return [
        dg.define_asset_job(
            "build_silver_gold", selection=SILVER_GOLD | source_freshness_selection(),
            description="Check Bronze source freshness, rebuild the star schema and Gold metrics with dbt and run "
                        "every dbt test."),
        dg.define_asset_job("check_source_freshness", selection=source_freshness_selection(),
                            description="Run dbt source freshness on every Bronze source (a check on each Bronze asset)."),
    ]
