"""Schedules named for how the business runs, and the sentence each asset's description ends with.

- daily_batch_load: every night, the previous day's ledger partition, any new reference-data files,
  then Silver and Gold with every check.
- monthly_close: after month end, the closed month's ledger days reloaded (late files are picked up;
  a file already loaded is skipped), reference data, and Silver and Gold rebuilt with every check, so
  the month's Gold numbers are final.
- cdc_microbatch (cdc/jobs.py): run by the CDC applier (cdc/applier.py) as Bronze grows, or started by
  cdc_bronze_sensor when no applier runs; not by a schedule.

On Redshift (prod), Bronze is loaded outside Dagster: the same jobs select Silver and Gold only, and runs
are not partitioned. Whether schedules start running: Settings.schedules_start_running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import dagster as dg

from inventory_platform.cdc.jobs import MICROBATCH_JOB
from inventory_platform.dagster_adapter import partition_range_tags
from inventory_platform.settings import Settings

TIMEZONE = "UTC"


@dataclass(frozen=True)
class Cadence:
    cron: str
    phrase: str  # how an analyst reads the cron, shown in asset descriptions


DAILY_BATCH = Cadence("0 2 * * *", "daily at 02:00 UTC")
# The 3rd at 06:00 UTC: two days for late postings (cycle counts, adjustments) of the closed month.
MONTHLY_CLOSE = Cadence("0 6 3 * *", "on the 3rd of each month at 06:00 UTC")


def closed_month(tick: date, first_day: date) -> tuple[date, date]:
    """First and last day of the month before the tick's month, clipped to the partition start."""
    last = tick.replace(day=1) - timedelta(days=1)
    return max(last.replace(day=1), first_day), last


def build_schedules(settings: Settings, partitioned: bool) -> list[dg.ScheduleDefinition]:
    """`partitioned`: whether runs load Bronze by landed day (Dagster loads Bronze here)."""
    status = dg.DefaultScheduleStatus.RUNNING if settings.schedules_start_running else dg.DefaultScheduleStatus.STOPPED

    @dg.schedule(name="daily_batch_load_schedule", job_name="daily_batch_load", cron_schedule=DAILY_BATCH.cron,
                 execution_timezone=TIMEZONE, default_status=status,
                 description=f"daily_batch_load {DAILY_BATCH.phrase}, for the day that just ended.")
    def daily_batch_load_schedule(context: dg.ScheduleEvaluationContext):
        day = (context.scheduled_execution_time.date() - timedelta(days=1)).isoformat()
        return dg.RunRequest(run_key=f"daily-{day}", partition_key=day if partitioned else None,
                             tags={"business_date": day})

    @dg.schedule(name="monthly_close_schedule", job_name="monthly_close", cron_schedule=MONTHLY_CLOSE.cron,
                 execution_timezone=TIMEZONE, default_status=status,
                 description=f"monthly_close {MONTHLY_CLOSE.phrase}, for the month that just ended.")
    def monthly_close_schedule(context: dg.ScheduleEvaluationContext):
        start, end = closed_month(context.scheduled_execution_time.date(), settings.history_start)
        tags = {"closing_month": f"{end:%Y-%m}"}
        if partitioned:
            # One run over the month's daily partitions (the ledger asset's single-run backfill policy).
            tags |= partition_range_tags(start.isoformat(), end.isoformat())
        return dg.RunRequest(run_key=f"close-{end:%Y-%m}", tags=tags)

    return [daily_batch_load_schedule, monthly_close_schedule]


# Jobs that refresh assets on their own, and when (shown in every asset's description).
REFRESHING_JOBS = {"daily_batch_load": DAILY_BATCH.phrase, "monthly_close": MONTHLY_CLOSE.phrase,
                   MICROBATCH_JOB: "whenever new CDC events reach Bronze (the CDC applier)"}


def refresh_note(job_names: list[str], settings: Settings) -> str:
    """The sentence an asset description ends with: which jobs refresh it, and when."""
    if not job_names:
        return "**Refreshed:** outside Dagster (see above); no job here writes it."
    job_names = sorted(job_names, key=list(REFRESHING_JOBS).index)
    note = "**Refreshed:** by " + ", ".join(f"`{j}` {REFRESHING_JOBS[j]}" for j in job_names) + "."
    return note + ("" if settings.schedules_start_running
                   else " Locally the schedules start stopped: run the job or click Materialize.")
