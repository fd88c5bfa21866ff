"""The engine switch: which warehouse the platform talks to, decided once from settings."""

from __future__ import annotations

from inventory_platform.lib.duckdb_warehouse import DuckDBWarehouse
from inventory_platform.lib.redshift_warehouse import RedshiftWarehouse, redshift_from_env
from inventory_platform.settings import Settings


def warehouse_resource(settings: Settings) -> DuckDBWarehouse | RedshiftWarehouse:
    if settings.is_local:
        return DuckDBWarehouse(path=str(settings.duckdb_path))
    return redshift_from_env()


def warehouse_kind(settings: Settings) -> str:
    return "duckdb" if settings.is_local else "redshift"
