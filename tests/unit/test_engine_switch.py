"""INVENTORY_ENV=prod switches the whole code location to Redshift in one place."""

from __future__ import annotations

import dagster as dg

from inventory_platform.definitions import build_defs
from inventory_platform.lib.duckdb_warehouse import DuckDBWarehouse
from inventory_platform.lib.redshift_warehouse import RedshiftWarehouse
from inventory_platform.monitoring.incidents import OPEN_INCIDENTS
from inventory_platform.settings import load_settings


def test_prod_definitions_use_redshift_everywhere(monkeypatch, tmp_path):
    monkeypatch.setenv("INVENTORY_ENV", "prod")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("INVENTORY_DUCKDB_PATH", str(tmp_path / "unused.duckdb"))
    for var in ("REDSHIFT_HOST", "REDSHIFT_PASSWORD"):
        monkeypatch.delenv(var, raising=False)  # credentials are read at run time, not at load
    settings = load_settings()
    assert settings.dbt_target == "prod"
    defs = build_defs(settings)
    repo = defs.get_repository_def()

    assert isinstance(defs.resources["warehouse"], RedshiftWarehouse)
    specs = {key: a.specs_by_key[key] for key, a in repo.assets_defs_by_key.items()}
    assert all("duckdb" not in spec.kinds for spec in specs.values())
    # Every asset lives in Redshift but the open incidents, which live in Dagster's event log.
    assert [key for key, spec in specs.items() if "redshift" not in spec.kinds] == [OPEN_INCIDENTS]
    bronze = [a for k, a in repo.assets_defs_by_key.items() if k.path[0] == "bronze"]
    assert bronze and all(not a.is_executable for a in bronze)
    assert {j.name for j in repo.get_all_jobs()} >= {"build_silver_gold"}
    assert "load_inventory_transactions" not in {j.name for j in repo.get_all_jobs()}


def test_local_definitions_use_the_duckdb_file(monkeypatch, tmp_path):
    monkeypatch.setenv("INVENTORY_ENV", "local")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("INVENTORY_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    defs = build_defs(load_settings())
    repo = defs.get_repository_def()
    warehouse = defs.resources["warehouse"]
    assert isinstance(warehouse, DuckDBWarehouse) and warehouse.path == str(tmp_path / "w.duckdb")
    assert repo.get_job("load_inventory_transactions").partitions_def is not None
    assert isinstance(repo.get_job("build_silver_gold"), dg.JobDefinition)
