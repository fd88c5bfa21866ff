"""The one module that relies on Dagster and dagster-dbt internals; tests/unit/test_dagster_adapter.py pins each.

- The clock: Dagster stamps events with `dagster._time`, which its test utility `freeze_time` moves; checks
  and sensors that compare data with the clock (monitoring/data_freshness.py) read the same one.
- Single-run backfills over a range of daily partitions are requested with two run tags that Dagster
  documents but exports only from `dagster._core.storage.tags`; `RunRequest` and `execute_in_process`
  take a single `partition_key` only.
- dagster-dbt's DbtCliResource, before every first `cli()` of a run (no public switch in dagster-dbt 0.29):
  - runs `dbt --version` in a subprocess to learn which dbt it drives (6 s on a quiet machine, 15 s under
    load: the CLI imports all of dbt-core). The dbt it runs is the one installed beside this interpreter,
    whose version the package metadata states;
  - builds an in-process dbt adapter (5 s: it loads every macro), used only by fetch_row_counts and
    fetch_column_metadata. This project records row counts itself (transform/materialization_metadata.py).
"""

from __future__ import annotations

import importlib.metadata
from functools import cached_property

from dagster_dbt import DbtCliResource
from packaging import version

PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"


def partition_range_tags(start: str, end: str) -> dict[str, str]:
    """Run tags that make one run cover the daily partitions start..end (the assets' single-run backfill policy)."""
    return {PARTITION_RANGE_START_TAG: start, PARTITION_RANGE_END_TAG: end}


def utc_now():
    """Now by Dagster's clock: a timezone-aware UTC datetime."""
    from dagster._time import get_current_datetime

    return get_current_datetime()


class InventoryDbtCli(DbtCliResource):
    """DbtCliResource without the two start-up costs above."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None  # dagster-dbt then runs dbt without an adapter handle, as it does when one fails to build
