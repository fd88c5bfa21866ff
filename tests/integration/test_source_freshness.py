"""dbt source freshness runs as a Dagster check on every Bronze asset: it passes on a fresh load, warns
on a load older than warn_after and fails on one older than error_after (real DuckDB, dbt, Dagster)."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from inventory_platform.bronze.in_place import reads_in_place
from inventory_platform.landing_contract import SOURCE_TABLES
from inventory_platform.settings import load_settings
from inventory_platform.transform.source_freshness import SOURCE_FRESHNESS_CHECK

from ..support.tiny_bronze import build_tiny_bronze

# Hours since the newest load, per Bronze table (thresholds: warn after 26 h, error after 30 h).
AGES = {"products": 27, "warehouses": 31, "inventory_transactions": 24 * 40}


@pytest.fixture(scope="module")
def evaluations(tmp_path_factory):
    root = tmp_path_factory.mktemp("freshness")
    path = build_tiny_bronze(root, seed=2)
    con = duckdb.connect(str(path))
    for table, hours in AGES.items():
        if reads_in_place(SOURCE_TABLES[table]):  # a view over the landed files: _loaded_at is the load log's
            con.execute(f"UPDATE bronze.load_log SET loaded_at = loaded_at - INTERVAL {hours} HOUR "
                        "WHERE source_table = ?", [table])
        else:
            con.execute(f"UPDATE bronze.{table} SET _loaded_at = _loaded_at - INTERVAL {hours} HOUR")
    con.close()

    env = pytest.MonkeyPatch()
    for var, value in {"INVENTORY_ENV": "local", "INVENTORY_DATA_DIR": str(root), "INVENTORY_DUCKDB_PATH": str(path),
                       "DAGSTER_HOME": str(root / "dagster_home")}.items():
        env.setenv(var, value)
    try:
        from inventory_platform.definitions import build_defs

        defs = build_defs(load_settings())
        with dg.DagsterInstance.ephemeral() as instance:
            result = defs.resolve_job_def("check_source_freshness").execute_in_process(
                instance=instance, raise_on_error=False)
        assert result.success
        yield {e.asset_key.path[1]: e for e in result.get_asset_check_evaluations()}
    finally:
        env.undo()


def test_every_bronze_asset_gets_a_freshness_verdict(evaluations):
    assert set(evaluations) == set(SOURCE_TABLES)
    assert {e.check_name for e in evaluations.values()} == {SOURCE_FRESHNESS_CHECK}


def test_fresh_sources_pass(evaluations):
    for table in set(SOURCE_TABLES) - set(AGES):
        assert evaluations[table].passed, table
        assert evaluations[table].metadata["status"].value == "pass"


def test_a_load_older_than_warn_after_warns(evaluations):
    warned = evaluations["products"]
    assert not warned.passed and warned.severity == dg.AssetCheckSeverity.WARN
    assert warned.metadata["age_hours"].value == pytest.approx(27, abs=0.5)
    assert "older than 26 hours" in warned.description


def test_a_load_older_than_error_after_fails(evaluations):
    for table in ("warehouses", "inventory_transactions"):
        failed = evaluations[table]
        assert not failed.passed and failed.severity == dg.AssetCheckSeverity.ERROR, table
        assert failed.metadata["status"].value == "error"
        assert "older than 30 hours" in failed.description
    assert evaluations["inventory_transactions"].metadata["age_hours"].value > 24 * 39
