"""Failed dbt checks that say what failed and are reported as failed, whatever dbt's severity.

dbt's severity decides one thing here: whether dbt withholds the models downstream of a failing test
(error) or builds them anyway (warn). Tests on rows that cannot be valued or resolved are warn, so one
bad SKU does not withhold Gold (docs/valuation.md); their failure must still show as a failure, so
every failed dbt check is reported with ERROR severity (red in the UI, FAIL in the alert sensor).

dbt itself reports only how many rows failed. A test whose config sets `meta: {failure_message: true}`
selects a `failure_message` column naming each problem and its fix; after dbt exits, its failing rows
are read again and become the check's description, so the UI and the CLI name the SKU, warehouse or
row instead of a count.

A dbt build that fails says, in the run's failure, which tests or models stopped it and which models
dbt therefore skipped (Gold among them, typically), instead of dbt's exit code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import dagster as dg

if TYPE_CHECKING:
    from dagster_dbt import DbtCliInvocation

MESSAGES_SHOWN = 20
Query = Callable[[str], Sequence[tuple]]


def dbt_artifact(invocation: DbtCliInvocation, name: str) -> dict[str, Any]:
    """manifest.json or run_results.json of the invocation; empty when dbt stopped before writing it."""
    path = invocation.target_path / name
    return json.loads(path.read_text()) if path.exists() else {}


def failure_messages(compiled_sql: str, query: Query) -> list[str]:
    """The failure_message of the test's failing rows, one more than shown so a caller sees there are more."""
    rows = query(f"SELECT failure_message FROM (\n{compiled_sql}\n) AS failing "
                 f"ORDER BY failure_message LIMIT {MESSAGES_SHOWN + 1}")
    return [str(message) for (message,) in rows]


def describe_failure(messages: list[str], failed_rows: int | None) -> str:
    shown = messages[:MESSAGES_SHOWN]
    more = (failed_rows or len(messages)) - len(shown)
    return "; ".join(shown) + (f"; and {more:,} more" if more > 0 else "")


def explained_check_results(events: Iterable, manifest: Mapping[str, Any], run_results: Mapping[str, Any],
                            query: Query, log: Callable[[str], None]) -> Iterator:
    """dbt's events, each failed check result at ERROR severity and, where the test can, described."""
    nodes = manifest.get("nodes", {})
    compiled = {r["unique_id"]: r.get("compiled_code") for r in run_results.get("results", [])}
    for event in events:
        if not isinstance(event, dg.AssetCheckResult) or event.passed:
            yield event
            continue
        # By unique id: a test's name is unique only on its model (e.g. `transaction_id_is_unique`).
        unique_id = event.metadata.get("unique_id")
        test = nodes.get(getattr(unique_id, "value", unique_id), {})
        description = event.description
        sql = compiled.get(test.get("unique_id", ""))
        if test.get("config", {}).get("meta", {}).get("failure_message") and sql:
            try:
                failed_rows = event.metadata.get("dagster_dbt/failed_row_count")
                count = getattr(failed_rows, "value", failed_rows)
                description = describe_failure(failure_messages(sql, query), count)
            except Exception as exc:  # noqa: BLE001 - the failure itself must still be reported
                log(f"Could not read the failing rows of {event.check_name}: {exc!r}")
        yield dg.AssetCheckResult(passed=False, asset_key=event.asset_key, check_name=event.check_name,
                                  metadata=event.metadata, severity=dg.AssetCheckSeverity.ERROR, description=description)


def _names(results: list[Mapping[str, Any]], limit: int = 5) -> str:
    names = [r["unique_id"].split(".")[-1] if r["unique_id"].startswith("model.") else r["unique_id"].split(".")[2]
             for r in results]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def why_dbt_failed(run_results: Mapping[str, Any]) -> str:
    """One sentence from run_results: what failed (error-severity tests, models in error), what was skipped."""
    results = run_results.get("results", [])
    failed_tests = [r for r in results if r["unique_id"].startswith("test.") and r["status"] in ("fail", "error")]
    broken = [r for r in results if not r["unique_id"].startswith("test.") and r["status"] == "error"]
    skipped = [r for r in results if r["unique_id"].startswith("model.") and r["status"] == "skipped"]
    causes = []
    if failed_tests:
        causes.append(f"error-severity check(s) failed: {_names(failed_tests)}")
    if broken:
        first = (broken[0].get("message") or "").strip().splitlines()
        causes.append(f"model(s) in error: {_names(broken)}" + (f" ({first[0]})" if first else ""))
    if not causes:
        return "dbt build failed before running its models (see the dbt log in the run's compute logs)"
    return "dbt build failed, " + "; ".join(causes) + (
        f"; dbt skipped every model downstream: {_names(skipped, limit=10)}" if skipped else "")
