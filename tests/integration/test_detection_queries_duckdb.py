"""Every DuckDB detection query of ops_runbooks/monitoring_queries.sql runs against a real warehouse
(simulated `tiny` data loaded through the real Bronze loader) and returns what its header promises."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inventory_platform.bronze.assets import unresolved_quarantine
from inventory_platform.bronze.loader import landing_files, load_files
from inventory_platform.landing_contract import FX_RATES, SOURCE_TABLES
from inventory_platform.monitoring.queries import all_queries, monitoring_query
from tests.support.tiny_bronze import build_tiny_bronze

DUCKDB_QUERIES = [q for q in all_queries() if q.engine == "duckdb"]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return build_tiny_bronze(tmp_path_factory.mktemp("tiny"), seed=11)


def run(path: Path, name: str) -> list[dict]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        cursor = con.execute(monitoring_query(name).sql)
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


@pytest.mark.parametrize("query", DUCKDB_QUERIES, ids=[q.name for q in DUCKDB_QUERIES])
def test_every_duckdb_detection_query_runs(warehouse, query):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute(query.sql).fetchall()
    finally:
        con.close()


def test_database_size_reports_blocks_and_wal(warehouse):
    [row] = run(warehouse, "duckdb_database_size")
    assert row["database_name"] == warehouse.stem
    assert row["total_blocks"] > 0 and row["used_blocks"] > 0
    assert 0 <= row["free_block_pct"] <= 100


def test_table_and_schema_sizes_rank_the_largest_table_first(warehouse):
    tables = run(warehouse, "duckdb_disk_usage_by_table")
    # The ledger's Bronze is the landed Parquet read in place (bronze/in_place.py): no table, no blocks here.
    assert ("bronze", "inventory_transactions") not in {(t["schema_name"], t["table_name"]) for t in tables}
    assert sum(t["pct_of_rows"] for t in tables) == pytest.approx(100, abs=0.1)
    con = duckdb.connect(str(warehouse), read_only=True)
    largest = con.execute(f"SELECT count(*) FROM {tables[0]['schema_name']}.{tables[0]['table_name']}").fetchone()[0]
    con.close()
    assert tables[0]["estimated_rows"] == largest == max(t["estimated_rows"] for t in tables)
    [bronze] = run(warehouse, "duckdb_disk_usage_by_schema")
    assert bronze["schema_name"] == "bronze" and bronze["tables"] == len(tables)


def test_spill_query_names_the_temp_directory_beside_the_file(warehouse):
    [row] = run(warehouse, "duckdb_spill_to_disk")
    assert row["temp_directory"] == str(warehouse) + ".tmp"
    assert row["temporary_files"] == 0


def test_load_freshness_has_every_source_loaded_just_now(warehouse):
    rows = {r["source_table"]: r for r in run(warehouse, "duckdb_bronze_load_freshness")}
    assert set(rows) == set(SOURCE_TABLES)
    for table, row in rows.items():
        assert row["files_loaded"] > 0 and row["files_not_loaded"] == 0, table
        assert 0 <= row["hours_since_load"] < 1, table  # loaded minutes ago, in UTC on both sides


def test_ledger_load_lag_accounts_for_every_loaded_row(warehouse):
    batches = run(warehouse, "duckdb_ledger_load_lag")
    con = duckdb.connect(str(warehouse), read_only=True)
    total, newest = con.execute("SELECT count(*), max(event_ts) FROM bronze.inventory_transactions").fetchone()
    con.close()
    assert sum(b["rows_loaded"] for b in batches) == total
    assert max(b["newest_event"] for b in batches) == newest
    assert all(b["newest_event_lag_s"] > 0 for b in batches)  # simulated history: events precede the load


def fx_file(path: Path, usd_per_unit: str) -> None:
    pq.write_table(pa.table({"rate_date": pa.array([date(2030, 1, 2)]), "currency_code": ["EUR"],
                             "usd_per_unit": pa.array([Decimal(usd_per_unit)], pa.decimal128(18, 8))}), path)


def test_quarantine_backlog_lists_a_rejected_file_until_a_corrected_one_loads(warehouse, tmp_path):
    path = tmp_path / "copy.duckdb"
    shutil.copy(warehouse, path)
    landing, quarantine = tmp_path / "landing", tmp_path / "quarantine"
    (landing / FX_RATES.name).mkdir(parents=True)
    bad = landing / FX_RATES.name / "fx_2030.parquet"
    fx_file(bad, "-1.10000000")  # a rate must be positive: the whole file is quarantined
    con = duckdb.connect(str(path))
    try:
        assert load_files(con, FX_RATES, landing_files(landing, FX_RATES), quarantine).rejections
        expected = unresolved_quarantine(con, FX_RATES)
    finally:
        con.close()
    backlog = run(path, "duckdb_quarantine_backlog")
    assert [r["source_file"] for r in backlog] == [str(bad)] == [e[0] for e in expected]
    assert backlog[0]["column_name"] == "usd_per_unit" and backlog[0]["reason"]

    fx_file(bad, "1.10000000")  # same path, corrected content
    con = duckdb.connect(str(path))
    try:
        assert not load_files(con, FX_RATES, landing_files(landing, FX_RATES), quarantine).rejections
    finally:
        con.close()
    assert run(path, "duckdb_quarantine_backlog") == []


def test_cdc_lag_reports_load_lag_percentiles_and_time_since_the_last_load(warehouse, tmp_path):
    path = tmp_path / "cdc.duckdb"
    shutil.copy(warehouse, path)
    con = duckdb.connect(str(path))
    try:  # 100 records arrived over the last minute, each loaded 0.0 .. 0.9 s after it arrived
        con.execute("""
            INSERT INTO bronze.cdc_events
            SELECT 'inventory-cdc-clean', 'shardId-000000000000', i::VARCHAR, 'stock_levels|WH-001|SKU-' || i,
                   arrived, '{}', arrived + (i % 10) * INTERVAL 100 MILLISECOND, 'batch-' || (i // 10)
            FROM (SELECT i, CAST(current_timestamp AT TIME ZONE 'UTC' AS TIMESTAMP) - INTERVAL 60 SECOND
                            + i * INTERVAL 500 MILLISECOND AS arrived FROM range(100) AS t(i))""")
    finally:
        con.close()
    [row] = run(path, "duckdb_cdc_lag")
    assert (row["stream_name"], row["records"]) == ("inventory-cdc-clean", 100)
    assert row["p50_load_lag_s"] == pytest.approx(0.45) and row["p95_load_lag_s"] == pytest.approx(0.9)
    assert 0 <= row["seconds_since_last_load"] <= 30
