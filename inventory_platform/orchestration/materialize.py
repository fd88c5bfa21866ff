"""Materialize every asset through Dagster, the way `make demo` and the end-to-end test do.

Runs in dependency order: reference data, the ledger's daily partitions in one single-run backfill,
Silver and Gold (dbt models and tests), then (locally) the cold tier's checks, so that `make demo` leaves
no check unevaluated but those whose description says "Evaluated only …". Runs are recorded in the
Dagster instance under the code location and their job, so they show up in the UI afterwards (Overview
timeline, each job's runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from inventory_platform.bronze.landing_inventory import loadable_days
from inventory_platform.cold_tier.jobs import CHECK_JOB_NAME as CHECK_COLD_TIER
from inventory_platform.dagster_adapter import execute_in_code_location, partition_range_tags
from inventory_platform.landing_contract import INVENTORY_TRANSACTIONS
from inventory_platform.orchestration.run_recovery import claim_writer_turn


@dataclass(frozen=True)
class RunSummary:
    job: str
    run_id: str
    success: bool
    checks: list[str]  # every check evaluated in the run, as asset:check
    failed_checks: list[str]
    failure_descriptions: dict[str, str] = field(default_factory=dict)  # asset:check -> what failed
    materialized: list[str] = field(default_factory=list)  # asset keys materialized in the run
    error: str | None = None  # why the run failed, when it did


def partition_range(defs: dg.Definitions, landing_dir: Path) -> tuple[str, str] | None:
    """The first and last daily partitions that have landing files, clipped to the partition set. With
    landed days but none inside the partitions, the last partition: its run loads nothing and its check
    every_landed_file_accounted_for names every day it could not load."""
    job = defs.resolve_job_def("load_inventory_transactions")
    keys = job.partitions_def.get_partition_keys()
    days = [d.isoformat() for d in loadable_days(landing_dir, INVENTORY_TRANSACTIONS)]
    inside = [d for d in days if keys[0] <= d <= keys[-1]]
    if not inside:
        return (keys[-1], keys[-1]) if days else None
    return inside[0], inside[-1]


def _checks(result: dg.JobExecutionResult, failed_only: bool = False) -> list[str]:
    return [f"{e.asset_key.to_user_string()}:{e.check_name}"
            for e in result.get_asset_check_evaluations() if not (failed_only and e.passed)]


def run_error(result: dg.JobExecutionResult) -> str | None:
    """Why the run failed, in one line (its first step failure); None when it succeeded."""
    step_failures = [e.step_failure_data for e in result.get_step_failure_events()]
    error = None
    if step_failures:
        data = step_failures[0]
        error = data.user_failure_data.description if data.user_failure_data else data.error.message.strip()
        error = error.splitlines()[0] if error else None
    return error or (None if result.success else "the run failed")


def _summary(job_name: str, result: dg.JobExecutionResult) -> RunSummary:
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    return RunSummary(
        job_name, result.run_id, result.success, _checks(result), _checks(result, True),
        {f"{e.asset_key.to_user_string()}:{e.check_name}": e.description for e in failed if e.description},
        [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()], run_error(result))


def materialize_plan(defs: dg.Definitions, landing_dir: Path,
                     only_jobs: list[str] | None = None) -> list[tuple[str, dict[str, str]]]:
    """(job name, run tags) of each run, in order: the plan, or only the named jobs of the project."""
    plan: list[tuple[str, dict[str, str]]] = [("load_reference_data", {})]
    days = partition_range(defs, landing_dir)
    if days:
        plan.append(("load_inventory_transactions", partition_range_tags(*days)))
    plan.append(("build_silver_gold", {}))
    if CHECK_COLD_TIER in {job.name for job in defs.jobs}:  # the cold tier is Dagster's locally only
        plan.append((CHECK_COLD_TIER, {}))
    if only_jobs:
        tags = dict(plan)
        plan = [(name, tags.get(name, {})) for name in only_jobs]
    return plan


def materialize_everything(defs: dg.Definitions, instance: dg.DagsterInstance, landing_dir: Path,
                           only_jobs: list[str] | None = None) -> list[RunSummary]:
    """Run the plan (or only the named jobs of the project, in the given order)."""
    plan = materialize_plan(defs, landing_dir, only_jobs)

    # Per-partition DEBUG events would bury the output of a 1,461-day load; the UI keeps every event.
    quiet = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    summaries = []
    for job_name, tags in plan:
        owner_tags = claim_writer_turn(instance)  # a dead earlier run must not hold the writer (run_recovery.py)
        result = execute_in_code_location(defs.resolve_job_def(job_name), instance, run_config=quiet,
                                          tags={**tags, **owner_tags})
        summaries.append(_summary(job_name, result))
        if not result.success:
            break
    return summaries
