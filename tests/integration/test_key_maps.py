"""Key maps give every product and warehouse version (and every SKU and warehouse) a dense integer key once and keep it: a rebuild, a
--full-refresh of the dimensions, or new versions that sort before the old ones never renumber a key
(macros/key_map.sql). Facts, the snapshot and cold-tier Parquet written earlier hold these keys."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from inventory_platform.bronze.loader import BRONZE_SCHEMA, LOAD_METADATA_COLUMNS
from inventory_platform.landing_contract import PRODUCTS, WAREHOUSES, SourceTable

from ..support.dbt_runner import run_dbt

MODELS = ["key_map_product_version", "key_map_warehouse_version", "key_map_sku", "key_map_warehouse",
          "dim_product", "dim_warehouse"]


def _create(con: duckdb.DuckDBPyConnection, table: SourceTable) -> None:
    cols = [(c.name, c.type) for c in table.columns] + list(LOAD_METADATA_COLUMNS)
    con.execute(f"CREATE TABLE {BRONZE_SCHEMA}.{table.name} ({', '.join(f'{n} {t}' for n, t in cols)})")


def _load(path: Path, products: list[tuple[str, str]], warehouses: list[tuple[str, str]], batch: str) -> None:
    """Bronze rows of product and warehouse versions (natural key, valid_from), as a load would append them."""
    now = datetime.now(UTC).replace(tzinfo=None)
    con = duckdb.connect(str(path))
    for sku, day in products:
        con.execute("INSERT INTO bronze.products VALUES (?, 'name', 'CAT-01', 'Category', 'Brand', 'EA', ?, ?, 'f', 1, ?)",
                    [sku, day, batch, now])
    for wh, day in warehouses:
        con.execute("INSERT INTO bronze.warehouses VALUES (?, 'name', 'NA', 'US', 'City', 'USD', DATE '2020-01-01', NULL, "
                    "false, ?, ?, 'f', 1, ?)", [wh, day, batch, now])
    con.close()


def _keys(path: Path) -> dict[str, dict[tuple, int]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            "product_map": {(s, str(d)): k for k, s, d in con.execute(
                "SELECT product_key, sku_id, valid_from FROM silver.key_map_product_version").fetchall()},
            "warehouse_map": {(w, str(d)): k for k, w, d in con.execute(
                "SELECT warehouse_key, warehouse_id, valid_from FROM silver.key_map_warehouse_version").fetchall()},
            "dim_product": {(s, str(d)): k for k, s, d in con.execute(
                "SELECT product_key, sku_id, effective_from FROM silver.dim_product").fetchall()},
            "dim_warehouse": {(w, str(d)): k for k, w, d in con.execute(
                "SELECT warehouse_key, warehouse_id, effective_from FROM silver.dim_warehouse").fetchall()},
            # entity maps: one key per SKU and warehouse, whatever its versions (the snapshot's pairs)
            "sku_map": dict(con.execute("SELECT sku_id, sku_entity_key FROM silver.key_map_sku").fetchall()),
            "warehouse_entity_map": dict(con.execute(
                "SELECT warehouse_id, warehouse_entity_key FROM silver.key_map_warehouse").fetchall()),
            "dim_product_entity": set(con.execute("SELECT sku_id, sku_entity_key FROM silver.dim_product").fetchall()),
            "dim_warehouse_entity": set(con.execute(
                "SELECT warehouse_id, warehouse_entity_key FROM silver.dim_warehouse").fetchall()),
        }
    finally:
        con.close()


def test_full_refresh_keeps_every_key_and_appends_new_versions(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"CREATE SCHEMA {BRONZE_SCHEMA}")
    _create(con, PRODUCTS)
    _create(con, WAREHOUSES)
    con.close()
    _load(path, [("SKU-2", "2024-01-01"), ("SKU-3", "2024-01-01"), ("SKU-3", "2024-06-01")],
          [("WH-2", "2024-01-01"), ("WH-3", "2024-01-01")], "b1")
    env = {"INVENTORY_DUCKDB_PATH": str(path)}
    run_dbt(["run", "--select", *MODELS], "local", tmp_path, env)
    first = _keys(path)
    assert first["product_map"] == {("SKU-2", "2024-01-01"): 1, ("SKU-3", "2024-01-01"): 2, ("SKU-3", "2024-06-01"): 3}
    assert first["dim_product"] == first["product_map"]
    assert first["dim_warehouse"] == first["warehouse_map"] == {("WH-2", "2024-01-01"): 1, ("WH-3", "2024-01-01"): 2}
    # SKU-3's two versions share one entity key
    assert first["sku_map"] == {"SKU-2": 1, "SKU-3": 2}
    assert first["dim_product_entity"] == set(first["sku_map"].items())
    assert first["warehouse_entity_map"] == {"WH-2": 1, "WH-3": 2}
    assert first["dim_warehouse_entity"] == set(first["warehouse_entity_map"].items())

    # New versions sorting before every old one (SKU-1, WH-1) and between them; old versions loaded again
    # (no second key for them).
    _load(path, [("SKU-1", "2024-01-01"), ("SKU-2", "2023-01-01"), ("SKU-3", "2024-06-01")],
          [("WH-1", "2024-01-01"), ("WH-2", "2024-01-01")], "b2")
    run_dbt(["run", "--full-refresh", "--select", *MODELS], "local", tmp_path, env)
    second = _keys(path)
    assert {k: second["product_map"][k] for k in first["product_map"]} == first["product_map"]
    assert {k: second["warehouse_map"][k] for k in first["warehouse_map"]} == first["warehouse_map"]
    # the new versions take the next integers, in natural-key order: dense, nothing renumbered
    assert second["product_map"][("SKU-1", "2024-01-01")] == 4
    assert second["product_map"][("SKU-2", "2023-01-01")] == 5
    assert second["warehouse_map"][("WH-1", "2024-01-01")] == 3
    assert second["dim_product"] == second["product_map"]
    assert second["dim_warehouse"] == second["warehouse_map"]
    assert second["sku_map"] == {"SKU-2": 1, "SKU-3": 2, "SKU-1": 3}
    assert second["warehouse_entity_map"] == {"WH-2": 1, "WH-3": 2, "WH-1": 3}
    assert second["dim_product_entity"] == set(second["sku_map"].items())
    assert second["dim_warehouse_entity"] == set(second["warehouse_entity_map"].items())
