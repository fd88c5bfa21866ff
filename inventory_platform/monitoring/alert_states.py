"""What the alert sensor watches, read from the Dagster instance.

- Freshness: the state Dagster's freshness daemon records for every asset with a FreshnessPolicy
  (the same PASS/WARN/FAIL the UI shows; `instance.get_freshness_state_records`).
- Asset checks: the latest completed evaluation of every check (dbt tests, Bronze quarantine, disk).
- Runs: the latest finished run per job (per asset selection for ad-hoc asset runs).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import dagster as dg

from inventory_platform.monitoring.levels import Level
from inventory_platform.monitoring.runbooks import (
    FAILED_RUN,
    runbook_for_check,
    runbook_for_freshness,
    runbook_for_run_failure,
)

_FRESHNESS_LEVELS = {"PASS": Level.PASS, "WARN": Level.WARN, "FAIL": Level.FAIL}  # UNKNOWN: never materialized
_RUN_LEVELS = {dg.DagsterRunStatus.SUCCESS: Level.PASS, dg.DagsterRunStatus.FAILURE: Level.FAIL}
FIRST_TICK_RUN_LOOKBACK = timedelta(hours=24)
RUN_WATERMARK_OVERLAP_SECONDS = 5.0  # re-reading a run is harmless: its state is already known
MAX_RUNS_PER_TICK = 1000


@dataclass(frozen=True)
class Observation:
    subject: str
    kind: str
    target: str
    state: str
    level: Level | None  # None: nothing known (yet); the last known state stands
    runbook: str
    summary: str
    assets: tuple[str, ...] = ()
    run_id: str | None = None


def asset_specs(repo: dg.RepositoryDefinition) -> dict[dg.AssetKey, dg.AssetSpec]:
    return {key: a.specs_by_key[key] for key, a in repo.assets_defs_by_key.items()}


def _windows(policy) -> str:
    fail, warn = getattr(policy, "fail_window", None), getattr(policy, "warn_window", None)
    if fail is None:
        return type(policy).__name__
    text = f"fails {fail.to_timedelta()} after the last materialization"
    return text + (f", warns after {warn.to_timedelta()}" if warn else "")


def freshness_observations(instance: dg.DagsterInstance, specs: dict[dg.AssetKey, dg.AssetSpec]) -> list[Observation]:
    watched = {key: spec for key, spec in specs.items() if spec.freshness_policy is not None}
    records = instance.get_freshness_state_records(list(watched))
    observations = []
    for key, record in records.items():
        spec, state = watched[key], record.freshness_state.value
        target = key.to_user_string()
        observations.append(Observation(
            subject=f"freshness:{target}", kind="freshness", target=target, state=state,
            level=_FRESHNESS_LEVELS.get(state), runbook=runbook_for_freshness(key, spec.metadata),
            summary=(f"{target} is {state} against its freshness policy ({_windows(spec.freshness_policy)}); "
                     f"state since {record.updated_at:%Y-%m-%d %H:%M} UTC"),
            assets=(target,)))
    return observations


def evaluation_level(evaluation: dg.AssetCheckEvaluation) -> Level:
    if evaluation.passed:
        return Level.PASS
    return Level.WARN if evaluation.severity == dg.AssetCheckSeverity.WARN else Level.FAIL


def check_observations(instance: dg.DagsterInstance, repo: dg.RepositoryDefinition,
                       specs: dict[dg.AssetKey, dg.AssetSpec]) -> list[Observation]:
    keys = list(repo.asset_graph.asset_check_keys)
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    observations = []
    for key, record in latest.items():
        evaluation = record.event.asset_check_evaluation if record.event else None
        if evaluation is None:  # planned, not evaluated yet (or its run died: the run alert covers that)
            continue
        level = evaluation_level(evaluation)
        state = "PASSED" if evaluation.passed else f"FAILED ({evaluation.severity.value})"
        asset = key.asset_key.to_user_string()
        spec = specs.get(key.asset_key)
        observations.append(Observation(
            subject=f"check:{asset}:{key.name}", kind="check", target=f"{asset}:{key.name}", state=state,
            level=level, runbook=runbook_for_check(key, spec.metadata if spec else None,
                                                   repo.asset_graph.get_check_spec(key).metadata),
            summary=evaluation.description or f"check {key.name} on {asset} {state.lower()}",
            assets=(asset,), run_id=record.run_id))
    return observations


def _planned_assets(instance: dg.DagsterInstance, run_id: str) -> tuple[str, ...]:
    planned = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
    return tuple(sorted({e.dagster_event.asset_key.to_user_string() for e in planned}))


def _run_target(instance: dg.DagsterInstance, run: dg.DagsterRun) -> tuple[str, tuple[str, ...]]:
    assets = tuple(sorted(k.to_user_string() for k in (run.asset_selection or ())))
    if not run.job_name.startswith("__"):
        return run.job_name, assets
    # Ad-hoc asset runs share one hidden job name: tell them apart by what they materialize.
    assets = assets or _planned_assets(instance, run.run_id)
    return f"{run.job_name}[{','.join(assets)}]", assets


def run_observations(instance: dg.DagsterInstance, after: float | None) -> tuple[list[Observation], float | None]:
    """The newest finished run per job since the watermark, and the new watermark (update timestamp)."""
    since = (datetime.fromtimestamp(after - RUN_WATERMARK_OVERLAP_SECONDS, UTC) if after is not None
             else datetime.now(UTC) - FIRST_TICK_RUN_LOOKBACK)
    records = instance.get_run_records(filters=dg.RunsFilter(statuses=list(_RUN_LEVELS), updated_after=since),
                                       order_by="update_timestamp", ascending=False, limit=MAX_RUNS_PER_TICK)
    newest: dict[str, Observation] = {}
    for record in records:  # newest first: the first seen per job is its current state
        run = record.dagster_run
        target, assets = _run_target(instance, run)
        if f"run:{target}" in newest:
            continue
        newest[f"run:{target}"] = Observation(
            subject=f"run:{target}", kind="run", target=target, state=run.status.value, level=_RUN_LEVELS[run.status],
            runbook=FAILED_RUN, summary=f"run {run.run_id} of {run.job_name}: {run.status.value}",
            assets=assets, run_id=run.run_id)
    watermark = max((r.update_timestamp.timestamp() for r in records), default=after)
    return list(newest.values()), watermark


def describe_run_failure(instance: dg.DagsterInstance, observation: Observation) -> Observation:
    """Error, assets and runbook of a failed run: read only when a job turns to failing."""
    run_id = observation.run_id
    texts, root_causes = [], []
    for entry in instance.all_logs(run_id, of_type={dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE}):
        error = getattr(entry.dagster_event.event_specific_data, "error", None) if entry.dagster_event else None
        if error is None:
            continue
        texts.append(error.to_string())
        while error.cause is not None:  # Dagster wraps the user's exception: report the innermost one
            error = error.cause
        root_causes.append(f"{error.cls_name}: {error.message.strip()}")
    cause = root_causes[0] if root_causes else "no error message recorded"
    return replace(observation, runbook=runbook_for_run_failure("\n".join(texts)),
                   summary=f"run {run_id} of {observation.target} failed: {cause[:500]}",
                   assets=observation.assets or _planned_assets(instance, run_id))


def observe_everything(instance: dg.DagsterInstance, repo: dg.RepositoryDefinition,
                       runs_after: float | None) -> tuple[list[Observation], float | None]:
    specs = asset_specs(repo)
    runs, watermark = run_observations(instance, runs_after)
    return [*freshness_observations(instance, specs), *check_observations(instance, repo, specs), *runs], watermark
