"""The monthly cold-tier offload job and its schedule, and the job that only runs the cold tier's checks
(after every build: `inventory-platform materialize` runs it last, and the nightly cadence selects the checks)."""

from __future__ import annotations

import dagster as dg

from inventory_platform.cold_tier.assets import COLD_TIER_KEY, UNION_VIEW_KEY

JOB_NAME = "cold_tier_offload"
CHECK_JOB_NAME = "check_cold_tier"
# After monthly_close (06:00 on the 3rd): the newest month is closed, so the window moves by whole months.
CRON = "0 8 3 * *"


def cold_tier_job() -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        JOB_NAME, selection=dg.AssetSelection.assets(COLD_TIER_KEY, UNION_VIEW_KEY),
        description="Move ledger history older than the retention window to the Parquet cold tier, then rebuild "
                    "the hot ∪ cold view and reconcile it with what was offloaded.")


def cold_tier_checks_selection() -> dg.AssetSelection:
    return dg.AssetSelection.checks_for_assets(COLD_TIER_KEY)


def check_cold_tier_job() -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        CHECK_JOB_NAME, selection=cold_tier_checks_selection(),
        description="Only the cold tier's checks (files match what was offloaded; no hot rows hidden behind the "
                    "cold watermark), without an offload: run after every build, by `inventory-platform materialize`.")


def cold_tier_schedule() -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="cold_tier_offload_schedule", job_name=JOB_NAME, cron_schedule=CRON, execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="cold_tier_offload on the 3rd of each month at 08:00 UTC, after monthly_close.")
