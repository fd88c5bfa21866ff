"""The engine switch: the warehouse resource and the executor for a warehouse kind (Settings.warehouse_kind)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from inventory_platform.lib.duckdb_warehouse import DuckDBWarehouse
from inventory_platform.lib.redshift_warehouse import RedshiftWarehouse, redshift_from_env


def warehouse_resource(kind: str, duckdb_path: Path) -> DuckDBWarehouse | RedshiftWarehouse:
    if kind == "duckdb":
        return DuckDBWarehouse(path=str(duckdb_path))
    return redshift_from_env()


def engine_executor(kind: str) -> dg.ExecutorDefinition:
    # DuckDB has a single writer: steps of a run execute one after another in one process.
    return dg.in_process_executor if kind == "duckdb" else dg.multiprocess_executor
