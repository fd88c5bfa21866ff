"""dbt source freshness on the Bronze sources, as an asset check on each Bronze asset.

dagster-dbt 0.29 turns dbt tests into asset checks but not `dbt source freshness` results, so this
check runs the command itself and reads its sources.json: pass -> passed, warn -> failed with WARN
severity, error or a runtime error -> failed with ERROR severity. What "fresh" means (loaded_at_field
and thresholds) lives in dbt_project/models/bronze/_bronze__sources.yml.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import dagster as dg

from inventory_platform.landing_contract import SOURCE_TABLES
from inventory_platform.transform.dbt_cli import DbtCli, finish_invocation

SOURCE_FRESHNESS_CHECK = "dbt_source_freshness"
_SEVERITY = {"warn": dg.AssetCheckSeverity.WARN}  # everything else that is not a pass is an error


def _age_hours(result: Mapping[str, Any]) -> float | None:
    seconds = result.get("max_loaded_at_time_ago_in_s")
    return round(seconds / 3600, 2) if seconds is not None else None


def _threshold(criteria: Mapping[str, Any], name: str) -> str:
    rule = criteria.get(name) or {}
    return f"{rule['count']} {rule['period']}s" if rule.get("count") else "none"


def check_result(table: str, result: Mapping[str, Any] | None) -> dg.AssetCheckResult:
    """The check's verdict for one source table from its entry in sources.json (None: dbt did not report it)."""
    key = dg.AssetKey(["bronze", table])
    if result is None:
        return dg.AssetCheckResult(asset_key=key, check_name=SOURCE_FRESHNESS_CHECK, passed=False,
                                   severity=dg.AssetCheckSeverity.ERROR,
                                   description=f"dbt source freshness reported nothing for source bronze.{table}")
    status = result["status"]
    criteria = result.get("criteria") or {}
    age = _age_hours(result)
    metadata = {
        "status": status,
        "max_loaded_at": result.get("max_loaded_at") or "none",
        "snapshotted_at": result.get("snapshotted_at") or "none",
        "age_hours": dg.MetadataValue.float(age) if age is not None else "unknown",
        "warn_after": _threshold(criteria, "warn_after"),
        "error_after": _threshold(criteria, "error_after"),
    }
    if status == "pass":
        description = f"newest load {age} h old"
    elif status in ("warn", "error"):
        description = (f"newest load {age} h old: older than "
                       f"{metadata['warn_after' if status == 'warn' else 'error_after']} ({status})")
    else:
        description = f"dbt source freshness {status}: {(result.get('message') or '').strip()[:500]}"
    return dg.AssetCheckResult(
        asset_key=key, check_name=SOURCE_FRESHNESS_CHECK, passed=status == "pass",
        severity=_SEVERITY.get(status, dg.AssetCheckSeverity.ERROR), description=description, metadata=metadata)


def build_source_freshness_checks(tables: Iterable[str]) -> dg.AssetChecksDefinition:
    specs = [
        dg.AssetCheckSpec(
            SOURCE_FRESHNESS_CHECK, asset=dg.AssetKey(["bronze", table]),
            description="dbt source freshness: warns when the newest load (_loaded_at) is older than warn_after "
                        "and fails when older than error_after (dbt_project/models/bronze/_bronze__sources.yml).")
        for table in tables
    ]

    @dg.multi_asset_check(specs=specs, name="bronze_source_freshness", can_subset=True, pool="duckdb_writer",
                          description="Runs `dbt source freshness` on the selected Bronze sources.")
    def _bronze_source_freshness(context: dg.AssetCheckExecutionContext, dbt: DbtCli):
        selected = sorted(k.asset_key.path[1] for k in context.selected_asset_check_keys)
        select = " ".join(f"source:bronze.{t}" for t in selected)  # one value: dagster-dbt reads one after --select
        invocation = dbt.cli(["source", "freshness", "--select", select], raise_on_error=False).wait()
        finish_invocation(invocation)
        results = {r["unique_id"].rsplit(".", 1)[-1]: r
                   for r in invocation.get_artifact("sources.json").get("results", [])}
        context.log.info(f"dbt source freshness at {datetime.now().isoformat(timespec='seconds')}: "
                         + ", ".join(f"{t}={results[t]['status'] if t in results else 'missing'}" for t in selected))
        for table in selected:
            yield check_result(table, results.get(table))

    return _bronze_source_freshness


def source_freshness_selection() -> dg.AssetSelection:
    """The source-freshness check on every Bronze source, for the jobs that run it before Silver and Gold."""
    return dg.AssetSelection.checks(*(dg.AssetCheckKey(dg.AssetKey(["bronze", t]), SOURCE_FRESHNESS_CHECK)
                                      for t in SOURCE_TABLES))
