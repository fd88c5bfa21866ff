"""What the cold tier adds to the code location: ops/cold_tier_offload, its checks, the monthly job and the
check-only job.

Locally the platform runs the offload; in production it is the UNLOAD procedure in
inventory_platform/cold_tier/redshift_cold_tier.sql, run outside Dagster, so the asset is external there.
"""

from __future__ import annotations

import dagster as dg

from inventory_platform.cold_tier.assets import build_cold_tier_asset, build_cold_tier_checks, external_cold_tier_spec
from inventory_platform.cold_tier.jobs import check_cold_tier_job, cold_tier_job, cold_tier_schedule
from inventory_platform.settings import Settings


def build(settings: Settings) -> dg.Definitions:
    if not settings.is_local:
        return dg.Definitions(assets=[external_cold_tier_spec(settings)])
    return dg.Definitions(assets=[build_cold_tier_asset(settings)], asset_checks=[build_cold_tier_checks(settings)],
                          jobs=[cold_tier_job(), check_cold_tier_job()], schedules=[cold_tier_schedule()])
