"""Whether a materialize refreshed Gold and, if not, why: the last line the CLI prints.

Finance reads Gold. A run that leaves Gold as it was (an earlier job failed, an error-severity check
made dbt skip Gold, or the jobs run do not build Gold) must say so in words, not in a count of checks.
"""

from __future__ import annotations

import dagster as dg

from inventory_platform.orchestration.materialize import RunSummary


def gold_asset_keys(defs: dg.Definitions) -> set[str]:
    return {spec.key.to_user_string() for spec in defs.resolve_all_asset_specs() if spec.key.path[0] == "gold"}


def gold_not_refreshed(summaries: list[RunSummary], gold: set[str]) -> str | None:
    """None when every Gold asset was materialized; otherwise the reason, naming what stopped it."""
    missing = sorted(gold - {key for s in summaries for key in s.materialized})
    if not missing:
        return None
    failed = next((s for s in summaries if not s.success), None)
    if failed is not None:
        return f"run {failed.run_id[:8]} {failed.job} failed: {failed.error}"
    if len(missing) == len(gold):
        return f"the jobs run ({', '.join(s.job for s in summaries)}) do not build Gold"
    return f"{', '.join(missing)} not materialized"
