"""The whole dbt project (models and tests) builds on a real PostgreSQL 15 server through the same
portable SQL Redshift uses, and its Gold numbers equal DuckDB's for the same Bronze data."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg2
import pytest

from inventory_platform.cdc.source_catalog import catalog_from_warehouse
from streaming.local.source_simulator import SourceSimulator

from ..support.bronze_copy import copy_bronze_to_postgres
from ..support.cdc import append_streamed_events
from ..support.dbt_runner import edited_project_copy, run_dbt
from ..support.landed_ledger import land_ledger_insert
from ..support.postgres_server import running_postgres
from ..support.tiny_bronze import build_tiny_bronze

GOLD_SQL = """
    SELECT month_key, warehouse_id, category_code, quantity_on_hand, value_local, value_usd,
           value_constant_currency_usd, prior_year_value_usd, is_like_for_like
    FROM gold.gold_inventory_value_monthly ORDER BY month_key, warehouse_id, category_code
"""


@pytest.fixture(scope="module")
def bronze(tmp_path_factory) -> Path:
    """Tiny Bronze plus streamed CDC events (inserts, corrections, deletes, out of order, late)."""
    root = tmp_path_factory.mktemp("bronze")
    path = build_tiny_bronze(root, seed=5)
    with_silver = root / "with_silver" / "warehouse.duckdb"
    with_silver.parent.mkdir()
    shutil.copy(path, with_silver)
    run_dbt(["build"], "local", root, {"INVENTORY_DUCKDB_PATH": str(with_silver)})
    con = duckdb.connect(str(with_silver), read_only=True)
    source = SourceSimulator.start(catalog_from_warehouse(con), seed=5, out_of_order_rate=0.3, late_rate=0.05)
    con.close()
    append_streamed_events(path, source, 1_500)
    return path


@pytest.fixture(scope="module")
def postgres():
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def built(bronze, postgres, tmp_path_factory):
    work = tmp_path_factory.mktemp("dbt")
    copied = copy_bronze_to_postgres(bronze, postgres, work)
    pg_results = run_dbt(["build"], "postgres", work, postgres.env())
    duck = work / "warehouse.duckdb"
    shutil.copy(bronze, duck)
    duck_results = run_dbt(["build"], "local", work, {"INVENTORY_DUCKDB_PATH": str(duck)})
    return {"copied": copied, "pg_results": pg_results, "duck_results": duck_results, "duckdb": duck}


def test_every_model_and_test_passes_on_postgres(built):
    results = built["pg_results"]
    statuses = {r["unique_id"]: r["status"] for r in results}
    models = [u for u in statuses if u.startswith("model.")]
    tests = [u for u in statuses if u.startswith("test.")]
    assert len(models) >= 10 and len(tests) >= 30
    assert {u: s for u, s in statuses.items() if s not in ("success", "pass")} == {}
    assert set(statuses) == {r["unique_id"] for r in built["duck_results"]}


def test_gold_on_postgres_equals_gold_on_duckdb(built, postgres):
    con = duckdb.connect(str(built["duckdb"]), read_only=True)
    duck_rows = con.execute(GOLD_SQL).fetchall()
    con.close()
    pg = psycopg2.connect(host=postgres.host, port=postgres.port, user=postgres.user, dbname=postgres.database)
    with pg, pg.cursor() as cur:
        cur.execute(GOLD_SQL)
        pg_rows = cur.fetchall()
    pg.close()
    assert len(duck_rows) > 1000 and len(duck_rows) == len(pg_rows)

    def normal(row):
        return tuple(Decimal(v).quantize(Decimal("0.01")) if isinstance(v, Decimal) else v for v in row)

    mismatches = [(d, p) for d, p in zip(duck_rows, pg_rows, strict=True) if normal(d) != normal(p)]
    assert mismatches == []
    assert sum(r[5] for r in pg_rows) > 0


CDC_SQL = {
    "silver.cdc_inventory_transactions": """
        SELECT transaction_id, event_ts, warehouse_id, sku_id, movement_type, quantity, reference_id, is_deleted,
               source_lsn, source_committed_at
        FROM silver.cdc_inventory_transactions ORDER BY transaction_id""",
    "silver.stock_levels_current": """
        SELECT warehouse_id, sku_id, quantity_on_hand, unit_of_measure, currency_code, updated_at, source_lsn
        FROM silver.stock_levels_current ORDER BY warehouse_id, sku_id""",
}


@pytest.mark.parametrize("table", sorted(CDC_SQL))
def test_cdc_json_payloads_merge_identically_on_postgres_and_duckdb(built, postgres, table):
    con = duckdb.connect(str(built["duckdb"]), read_only=True)
    duck_rows = con.execute(CDC_SQL[table]).fetchall()
    con.close()
    pg = psycopg2.connect(host=postgres.host, port=postgres.port, user=postgres.user, dbname=postgres.database)
    with pg, pg.cursor() as cur:
        cur.execute(CDC_SQL[table])
        pg_rows = cur.fetchall()
    pg.close()
    assert len(duck_rows) > 100
    assert duck_rows == pg_rows


# The stored (lean) snapshot, with the pair's ids from the append-only entity key maps (tables a rebuild of the
# dimensions leaves alone; PostgreSQL drops views over a rebuilt table, the snapshot's detail view included).
SNAPSHOT_SQL = """
    SELECT w.warehouse_id, k.sku_id, s.month_end_date, s.product_key, s.quantity_on_hand, s.value_local
    FROM silver.fct_inventory_snapshot_month_end AS s
    JOIN silver.key_map_warehouse AS w ON w.warehouse_entity_key = s.warehouse_entity_key
    JOIN silver.key_map_sku AS k ON k.sku_entity_key = s.sku_entity_key
    ORDER BY w.warehouse_id, k.sku_id, s.month_end_date
"""


def pg_query(postgres, sql: str, statement: str | None = None) -> list[tuple]:
    con = psycopg2.connect(host=postgres.host, port=postgres.port, user=postgres.user, dbname=postgres.database)
    with con, con.cursor() as cur:
        if statement:
            cur.execute(statement)
        cur.execute(sql)
        rows = cur.fetchall()
    con.close()
    return rows


def duck_query(path: Path, sql: str, ledger_insert: str | None = None) -> list[tuple]:
    """`sql`'s rows; `ledger_insert` first: the rows it selects are landed and loaded (DuckDB's Bronze
    ledger reads its loaded files in place)."""
    con = duckdb.connect(str(path), read_only=ledger_insert is None)
    if ledger_insert:
        land_ledger_insert(con, ledger_insert, path.parent / "landing_added")
    rows = con.execute(sql).fetchall()
    con.close()
    return rows


def test_late_movements_restate_the_same_months_on_postgres_as_on_duckdb(built, postgres):
    """The incremental path (delete+insert of the restated months) runs on PostgreSQL as on DuckDB."""
    loaded_at = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    rows = f"""
        SELECT 990000000 + n, event_ts, warehouse_id, sku_id, 'ADJUSTMENT', 4 + n, 'LATE-' || n, 'late',
               _source_file, _source_row, TIMESTAMP '{loaded_at}'
        FROM (SELECT * FROM bronze.inventory_transactions
              WHERE CAST(event_ts AS DATE) = DATE '2024-03-14' ORDER BY transaction_id LIMIT 1) AS first_one
        CROSS JOIN (VALUES (1), (2)) AS t(n)"""
    late = f"""
        INSERT INTO bronze.inventory_transactions
            (transaction_id, event_ts, warehouse_id, sku_id, movement_type, quantity, reference_id,
             _batch_id, _source_file, _source_row, _loaded_at) {rows}"""
    march = date(2024, 3, 31)
    pg_before = pg_query(postgres, SNAPSHOT_SQL, late)
    duck_query(built["duckdb"], "SELECT 1", f"INSERT INTO bronze.inventory_transactions {rows}")
    work = built["duckdb"].parent
    rebuild = ["run", "--select", "+fct_inventory_snapshot_month_end gold_inventory_value_monthly"]
    pg_results = run_dbt(rebuild, "postgres", work, postgres.env())
    assert [r["adapter_response"].get("_message", "") for r in pg_results if "snapshot" in r["unique_id"]][0] \
        .startswith("INSERT")  # incremental: rows inserted into the existing table, not a new table
    run_dbt(rebuild, "local", work, {"INVENTORY_DUCKDB_PATH": str(built["duckdb"])})

    pg_after = pg_query(postgres, SNAPSHOT_SQL)
    assert [r for r in pg_after if r[2] < march] == [r for r in pg_before if r[2] < march]
    assert [r for r in pg_after if r[2] >= march] != [r for r in pg_before if r[2] >= march]
    assert pg_after == duck_query(built["duckdb"], SNAPSHOT_SQL)
    assert pg_query(postgres, GOLD_SQL) == duck_query(built["duckdb"], GOLD_SQL)


def test_a_model_breaking_its_contract_fails_on_postgres(built, postgres, tmp_path):
    project = edited_project_copy(tmp_path / "dbt_project", "gold_inventory_value_monthly",
                                  "{{ to_cents('j.value_usd') }} as value_usd",
                                  "cast(j.value_usd as double precision) as value_usd")
    [result] = run_dbt(["run", "--select", "gold_inventory_value_monthly"], "postgres", tmp_path, postgres.env(),
                       expect_success=False, project_dir=project)
    assert result["status"] == "error" and "enforced contract that failed" in result["message"]
    assert "data type mismatch" in next(line for line in result["message"].splitlines() if "| value_usd " in line)
