"""What the dbt project adds to the code location: every Silver and Gold model as an asset and every dbt test
as a check, dbt source freshness as a check on each Bronze asset, the transform jobs and the dbt resource."""

from __future__ import annotations

import dagster as dg

from inventory_platform.landing_contract import SOURCE_TABLES
from inventory_platform.reporting.trend_metadata import TREND_KEY, trend_asset_metadata
from inventory_platform.settings import Settings
from inventory_platform.transform.dbt_assets import build_dbt_assets, dbt_resource, load_manifest, model_keys
from inventory_platform.transform.jobs import transform_jobs
from inventory_platform.transform.materialization_metadata import LEDGER_FACT_KEY, newest_event_metadata
from inventory_platform.transform.source_freshness import build_source_freshness_checks


def build(settings: Settings) -> dg.Definitions:
    # The ledger fact and every Gold model record the newest event day they hold (data_is_current reads it);
    # the executive trend also its chart and YoY table.
    manifest = load_manifest()
    extra = {key: newest_event_metadata for key in (LEDGER_FACT_KEY, *model_keys(manifest, "gold"))}
    extra[TREND_KEY] = (newest_event_metadata, trend_asset_metadata)
    return dg.Definitions(
        assets=[build_dbt_assets(settings, extra_metadata=extra, manifest=manifest)],
        asset_checks=[build_source_freshness_checks(SOURCE_TABLES)],
        jobs=transform_jobs(),
        resources={"dbt": dbt_resource(settings)},
    )
