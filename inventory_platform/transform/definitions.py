"""What the dbt project adds to the code location: every Silver and Gold model as an asset and every dbt test
as a check, dbt source freshness as a check on each Bronze asset, the transform jobs and the dbt resource."""

from __future__ import annotations

import dagster as dg

from inventory_platform.landing_contract import SOURCE_TABLES
from inventory_platform.reporting.trend_metadata import TREND_KEY, trend_asset_metadata
from inventory_platform.settings import Settings
from inventory_platform.transform.dbt_assets import build_dbt_assets, dbt_resource
from inventory_platform.transform.jobs import transform_jobs
from inventory_platform.transform.source_freshness import build_source_freshness_checks


def build(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        # The executive trend's chart and YoY table are recorded with each materialization of the trend.
        assets=[build_dbt_assets(settings, extra_metadata={TREND_KEY: trend_asset_metadata})],
        asset_checks=[build_source_freshness_checks(SOURCE_TABLES)],
        jobs=transform_jobs(),
        resources={"dbt": dbt_resource(settings)},
    )
