"""auto_maintenance: on DuckDB it folds a crashed writer's WAL into the file without losing a row; on
Redshift it VACUUMs and ANALYZEs exactly the tables svv_table_info says need it."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from inventory_platform.definitions import build_defs
from inventory_platform.monitoring.maintenance import (
    maintain_redshift,
    plan_redshift_maintenance,
)
from inventory_platform.monitoring.queries import monitoring_query
from inventory_platform.monitoring.storage_asset import STORAGE_ASSET
from inventory_platform.settings import load_settings
from tests.support.crashed_writer import crash_after_writes
from tests.support.recording_redshift import RecordingRedshift

# schema, table, tbl_rows, unsorted_pct, stats_off_pct, deleted_pct, size_mb (redshift_tables_needing_maintenance)
TABLE_INFO = [
    ("silver", "fct_inventory_transactions", 9_000_000, 35.0, 12.0, 0.5, 4200),
    ("bronze", "inventory_transactions", 12_000_000, 2.0, 0.0, 18.0, 5100),
    ("gold", "gold_inventory_value_monthly", 400_000, 12.0, 0.0, 11.0, 80),
    ("silver", "dim_product", 100_000, None, 10.0, 0.0, 12),
    ("silver", 'odd"name', 10, 0.0, 0.0, 0.0, 1),
    ("bronze", "empty_table", 0, 99.0, 100.0, None, 0),
]


def test_plan_vacuums_and_analyzes_only_past_the_thresholds():
    actions = plan_redshift_maintenance(TABLE_INFO, unsorted_pct=10, stats_off_pct=10)
    assert [a.statement for a in actions] == [
        'VACUUM SORT ONLY "silver"."fct_inventory_transactions"',
        'ANALYZE "silver"."fct_inventory_transactions"',
        'VACUUM DELETE ONLY "bronze"."inventory_transactions"',
        'VACUUM FULL "gold"."gold_inventory_value_monthly"',
        'ANALYZE "silver"."dim_product"',  # no sort key: unsorted is NULL, statistics at the threshold
    ]
    assert actions[0].reason == "35% unsorted (threshold 10%)"
    assert actions[3].reason == "12% unsorted and 11% deleted rows (threshold 10%)"
    assert plan_redshift_maintenance(TABLE_INFO, unsorted_pct=50, stats_off_pct=50) == []


def test_identifiers_are_quoted():
    [action] = plan_redshift_maintenance([("silver", 'odd"name', 5, 0, 80, 0, 1)], 10, 10)
    assert action.statement == 'ANALYZE "silver"."odd""name"'


def test_maintain_redshift_runs_the_plan_in_order_and_reports_failures_after_trying_all(monkeypatch, tmp_path):
    monkeypatch.setenv("INVENTORY_VACUUM_UNSORTED_PCT", "10")
    monkeypatch.setenv("INVENTORY_ANALYZE_STATS_OFF_PCT", "10")
    settings = load_settings()
    redshift = RecordingRedshift({"redshift_tables_needing_maintenance": TABLE_INFO})
    summary = maintain_redshift(redshift, settings, dg.get_dagster_logger())
    assert redshift.statements[0] == monitoring_query("redshift_tables_needing_maintenance").sql
    assert len(redshift.statements) == 6 and summary["statements"] == 5 and summary["tables_checked"] == 6

    busy = RecordingRedshift({"redshift_tables_needing_maintenance": TABLE_INFO},
                             failing={'VACUUM DELETE ONLY "bronze"': RuntimeError("VACUUM is running")})
    with pytest.raises(RuntimeError, match=r"1 of 5 maintenance statements failed: VACUUM DELETE ONLY"):
        maintain_redshift(busy, settings, dg.get_dagster_logger())
    assert len(busy.statements) == 6  # the statements after the failed one still ran


def test_duckdb_maintenance_folds_a_crashed_writers_wal_without_losing_a_row(tmp_path, monkeypatch):
    db = tmp_path / "data" / "wh.duckdb"
    db.parent.mkdir()
    crash_after_writes(db)
    wal = db.with_name(db.name + ".wal")
    wal_before = wal.stat().st_size
    monkeypatch.setenv("INVENTORY_ENV", "local")
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTORY_DUCKDB_PATH", str(db))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    defs = build_defs(load_settings())
    (tmp_path / "instance").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "instance")) as instance:
        result = defs.resolve_job_def("auto_maintenance").execute_in_process(instance=instance)
        assert result.success
        observation = instance.fetch_observations(STORAGE_ASSET, limit=1).records[0].asset_observation
    assert observation.metadata["wal_bytes_before"].value == wal_before > 0
    assert observation.metadata["wal_bytes_after"].value == 0
    assert not wal.exists() or wal.stat().st_size == 0
    con = duckdb.connect(str(db), read_only=True)
    try:  # every committed update survived: 20 updates of 2,500 rows each
        assert con.execute("SELECT count(*), sum(qty) FROM stock").fetchone() == (50_000, 50_000)
    finally:
        con.close()
