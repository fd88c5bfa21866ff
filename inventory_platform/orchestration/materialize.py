"""Materialize every asset through Dagster, the way `make demo` and the end-to-end test do.

Three runs in dependency order: reference data, the ledger's daily partitions in one single-run
backfill, then Silver and Gold (dbt models and tests). Runs are recorded in the Dagster instance,
so they show up in the UI afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from inventory_platform.landing_contract import INVENTORY_TRANSACTIONS
from inventory_platform.orchestration.run_recovery import claim_writer_turn


@dataclass(frozen=True)
class RunSummary:
    job: str
    run_id: str
    success: bool
    checks: list[str]  # every check evaluated in the run, as asset:check
    failed_checks: list[str]


def landed_days(landing_dir: Path) -> list[date]:
    root = landing_dir / INVENTORY_TRANSACTIONS.name
    return sorted(date.fromisoformat(p.name.removeprefix("date=")) for p in root.glob("date=*") if p.is_dir())


def partition_range(defs: dg.Definitions, landing_dir: Path) -> tuple[str, str] | None:
    """The first and last daily partitions that have landing files, clipped to the partition set."""
    job = defs.resolve_job_def("load_inventory_transactions")
    keys = job.partitions_def.get_partition_keys()
    days = [d.isoformat() for d in landed_days(landing_dir)]
    inside = [d for d in days if keys[0] <= d <= keys[-1]]
    return (inside[0], inside[-1]) if inside else None


def _checks(result: dg.ExecuteInProcessResult, failed_only: bool = False) -> list[str]:
    return [f"{e.asset_key.to_user_string()}:{e.check_name}"
            for e in result.get_asset_check_evaluations() if not (failed_only and e.passed)]


def materialize_everything(defs: dg.Definitions, instance: dg.DagsterInstance, landing_dir: Path,
                           only_jobs: list[str] | None = None) -> list[RunSummary]:
    """Run the plan (or only the named jobs of the project, in the given order)."""
    plan: list[tuple[str, dict[str, str]]] = [("load_reference_data", {})]
    days = partition_range(defs, landing_dir)
    if days:
        plan.append(("load_inventory_transactions",
                     {ASSET_PARTITION_RANGE_START_TAG: days[0], ASSET_PARTITION_RANGE_END_TAG: days[1]}))
    plan.append(("build_silver_gold", {}))
    if only_jobs:
        tags = dict(plan)
        plan = [(name, tags.get(name, {})) for name in only_jobs]

    # Per-partition DEBUG events would bury the output of a 1,461-day load; the UI keeps every event.
    quiet = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    summaries = []
    for job_name, tags in plan:
        owner_tags = claim_writer_turn(instance)  # a dead earlier run must not hold the writer (run_recovery.py)
        result = defs.resolve_job_def(job_name).execute_in_process(
            run_config=quiet, instance=instance, tags={**tags, **owner_tags}, raise_on_error=False)
        summaries.append(RunSummary(job_name, result.run_id, result.success, _checks(result), _checks(result, True)))
        if not result.success:
            break
    return summaries
