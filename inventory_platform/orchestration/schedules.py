"""Jobs and schedules named for how the business runs.

- daily_batch_load: every night, the previous day's ledger partition, any new reference-data files,
  then Silver and Gold with every check.
- monthly_close: after month end, the closed month's ledger days reloaded (late files are picked up;
  a file already loaded is skipped), reference data, and Silver and Gold rebuilt with every check, so
  the month's Gold numbers are final.
- load_reference_data, load_inventory_transactions, build_silver_gold: the building blocks, for
  manual runs and `inventory-platform materialize`.
- cdc_microbatch (defined by the CDC slice): started by cdc_bronze_sensor, not by a schedule.

On Redshift (prod), Bronze is loaded outside Dagster, so the same jobs select Silver and Gold only.

Schedules start STOPPED locally: a laptop has no nightly landing files (simulated history ends in
the past), and a schedule firing into a single-writer DuckDB file would lock out the analyst's own
queries and `make docs`. In prod they start RUNNING: the deployment exists to run them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from inventory_platform.cdc.assets import CDC_EVENTS_KEY
from inventory_platform.cdc.sensors import MICROBATCH_JOB, cdc_microbatch_job
from inventory_platform.settings import Settings

LEDGER = dg.AssetKey(["bronze", "inventory_transactions"])
TIMEZONE = "UTC"


@dataclass(frozen=True)
class Cadence:
    cron: str
    phrase: str  # how an analyst reads the cron, shown in asset descriptions


DAILY_BATCH = Cadence("0 2 * * *", "daily at 02:00 UTC")
# The 3rd at 06:00 UTC: two days for late postings (cycle counts, adjustments) of the closed month.
MONTHLY_CLOSE = Cadence("0 6 3 * *", "on the 3rd of each month at 06:00 UTC")


def build_jobs(settings: Settings, freshness_checks: dg.AssetSelection) -> list[dg.UnresolvedAssetJobDefinition]:
    """`freshness_checks`: dbt source freshness on the Bronze assets, run before Silver and Gold are built."""
    silver_gold = dg.AssetSelection.groups("silver", "gold")
    # Batch Bronze; bronze/cdc_events is appended by the stream loader, outside Dagster.
    batch_bronze = dg.AssetSelection.groups("bronze") - dg.AssetSelection.assets(CDC_EVENTS_KEY) - freshness_checks
    everything = (batch_bronze | silver_gold if settings.is_local else silver_gold) | freshness_checks
    jobs = [
        dg.define_asset_job(
            "daily_batch_load", selection=everything,
            description="Nightly batch: the day's ledger partition and new reference-data files into Bronze, "
                        "then Silver and Gold rebuilt with every check."),
        dg.define_asset_job(
            "monthly_close", selection=everything,
            description="Month-end close: the closed month's ledger days reloaded (late files), reference data, "
                        "and Silver and Gold rebuilt with every check, making the month's Gold numbers final."),
        dg.define_asset_job(
            "build_silver_gold", selection=silver_gold | freshness_checks,
            description="Check Bronze source freshness, rebuild the star schema and Gold metrics with dbt and run "
                        "every dbt test."),
        dg.define_asset_job("check_source_freshness", selection=freshness_checks,
                            description="Run dbt source freshness on every Bronze source (a check on each Bronze asset)."),
        cdc_microbatch_job(),
    ]
    if settings.is_local:
        jobs += [
            dg.define_asset_job("load_reference_data", selection=batch_bronze - dg.AssetSelection.assets(LEDGER),
                                description="Load product, warehouse, cost, FX and opening-balance files into Bronze."),
            dg.define_asset_job("load_inventory_transactions", selection=dg.AssetSelection.assets(LEDGER) - freshness_checks,
                                description="Load the day's (or a range of days') ledger files into Bronze."),
        ]
    return jobs


def closed_month(tick: date, first_day: date) -> tuple[date, date]:
    """First and last day of the month before the tick's month, clipped to the partition start."""
    last = tick.replace(day=1) - timedelta(days=1)
    return max(last.replace(day=1), first_day), last


def build_schedules(settings: Settings) -> list[dg.ScheduleDefinition]:
    status = dg.DefaultScheduleStatus.STOPPED if settings.is_local else dg.DefaultScheduleStatus.RUNNING

    @dg.schedule(name="daily_batch_load_schedule", job_name="daily_batch_load", cron_schedule=DAILY_BATCH.cron,
                 execution_timezone=TIMEZONE, default_status=status,
                 description=f"daily_batch_load {DAILY_BATCH.phrase}, for the day that just ended.")
    def daily_batch_load_schedule(context: dg.ScheduleEvaluationContext):
        day = (context.scheduled_execution_time.date() - timedelta(days=1)).isoformat()
        return dg.RunRequest(run_key=f"daily-{day}", partition_key=day if settings.is_local else None,
                             tags={"business_date": day})

    @dg.schedule(name="monthly_close_schedule", job_name="monthly_close", cron_schedule=MONTHLY_CLOSE.cron,
                 execution_timezone=TIMEZONE, default_status=status,
                 description=f"monthly_close {MONTHLY_CLOSE.phrase}, for the month that just ended.")
    def monthly_close_schedule(context: dg.ScheduleEvaluationContext):
        start, end = closed_month(context.scheduled_execution_time.date(), settings.history_start)
        tags = {"closing_month": f"{end:%Y-%m}"}
        if settings.is_local:
            # One run over the month's daily partitions (the ledger asset's single-run backfill policy).
            tags |= {ASSET_PARTITION_RANGE_START_TAG: start.isoformat(), ASSET_PARTITION_RANGE_END_TAG: end.isoformat()}
        return dg.RunRequest(run_key=f"close-{end:%Y-%m}", tags=tags)

    return [daily_batch_load_schedule, monthly_close_schedule]


# Jobs that refresh assets on their own, and when (shown in every asset's description).
REFRESHING_JOBS = {"daily_batch_load": DAILY_BATCH.phrase, "monthly_close": MONTHLY_CLOSE.phrase,
                   MICROBATCH_JOB: "whenever cdc_bronze_sensor sees new CDC events"}


def refresh_note(job_names: list[str], settings: Settings) -> str:
    """The sentence an asset description ends with: which jobs refresh it, and when."""
    if not job_names:
        return "**Refreshed:** outside Dagster (see above); no job here writes it."
    note = "**Refreshed:** by " + ", ".join(f"`{j}` {REFRESHING_JOBS[j]}" for j in job_names) + "."
    return note + (" Locally the schedules start stopped: run the job or click Materialize." if settings.is_local else "")
