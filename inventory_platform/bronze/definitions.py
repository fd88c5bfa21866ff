"""What Bronze adds to the code location: one asset per landing-zone source with its checks, the load jobs
and the landing-zone resource. Locally Dagster loads Bronze; on Redshift it is loaded outside Dagster (COPY
from S3, streaming ingestion), so the same tables are external assets and there are no load jobs."""

from __future__ import annotations

import dagster as dg

from inventory_platform.bronze.assets import build_bronze_assets, external_bronze_specs
from inventory_platform.bronze.jobs import bronze_jobs
from inventory_platform.bronze.landing_zone import LandingZone
from inventory_platform.settings import Settings


def loads_in_dagster(settings: Settings) -> bool:
    """Whether this code location loads Bronze (and so partitions runs by landed day)."""
    return settings.is_local


def build(settings: Settings) -> dg.Definitions:
    daily = dg.DailyPartitionsDefinition(start_date=settings.history_start.isoformat())
    landing = {"landing": LandingZone(path=str(settings.landing_dir), quarantine_path=str(settings.quarantine_dir))}
    if not loads_in_dagster(settings):
        return dg.Definitions(assets=external_bronze_specs(daily), resources=landing)
    return dg.Definitions(assets=build_bronze_assets(daily), jobs=bronze_jobs(), resources=landing)
