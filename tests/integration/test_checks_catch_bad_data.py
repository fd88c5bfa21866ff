"""Each kind of data check fails when its rule is broken.

Phase A lands what a bad source would send (problems no single file shows), rebuilds, and runs
every test. Phase B corrupts built Silver/Gold tables, for the checks that guard the model logic
itself. A clean build passes every test first, so each failure below is caused by the injected error.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from inventory_platform.bronze.loader import landing_files, load_files
from inventory_platform.landing_contract import INVENTORY_TRANSACTIONS

from ..support.dbt_runner import edited_project_copy, failing_tests, run_dbt
from ..support.tiny_bronze import build_tiny_bronze


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("checks")
    bronze = build_tiny_bronze(work, seed=9)
    run_dbt(["build"], "local", work, {"INVENTORY_DUCKDB_PATH": str(bronze)})
    return work, bronze


def copy_of(clean: tuple[Path, Path], name: str) -> tuple[Path, Path]:
    work, source = clean
    target_dir = work / name
    target_dir.mkdir()
    shutil.copy(source, target_dir / "warehouse.duckdb")
    return target_dir, target_dir / "warehouse.duckdb"


def execute(path: Path, *statements: str) -> None:
    con = duckdb.connect(str(path))
    try:
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()


def land_and_load(path: Path, landing: Path, *selects: str) -> None:
    """Land each selected row as a file of its day and load it: the ledger's Bronze is the loaded files, read
    in place (bronze/in_place.py), so bad rows arrive as a source would send them."""
    con = duckdb.connect(str(path))
    try:
        for n, sql in enumerate(selects):
            rows = con.execute(sql).to_arrow_table()
            day = rows.column("event_ts")[0].as_py().date()
            folder = landing / "inventory_transactions" / f"date={day}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(rows, folder / f"bad-{n}.parquet")
        result = load_files(con, INVENTORY_TRANSACTIONS, landing_files(landing, INVENTORY_TRANSACTIONS),
                            landing.parent / "quarantine")
        assert len(result.files_loaded) == len(selects) and not result.rejections, result.rejections
    finally:
        con.close()


def test_bad_source_data_fails_the_matching_checks(clean):
    work, path = copy_of(clean, "bad_bronze")
    land_and_load(
        path, work / "bad_bronze" / "landing",
        # a movement for a SKU the product master has never heard of
        """SELECT 990000001 AS transaction_id, event_ts, warehouse_id, 'SKU-UNKNOWN' AS sku_id, movement_type, quantity,
                  reference_id
           FROM bronze.inventory_transactions WHERE movement_type = 'RECEIPT' LIMIT 1""",
        # a transfer that leaves one warehouse and never arrives anywhere
        """SELECT 990000002 AS transaction_id, event_ts, warehouse_id, sku_id, 'TRANSFER_OUT' AS movement_type,
                  -1 AS quantity, 'TR-NEVER-ARRIVES' AS reference_id
           FROM bronze.inventory_transactions WHERE movement_type = 'RECEIPT' LIMIT 1""",
        # a shipment far larger than the stock, in a warehouse that does not allow backorders
        """SELECT 990000003 AS transaction_id, t.event_ts, t.warehouse_id, t.sku_id, 'SHIPMENT' AS movement_type,
                  -100000000 AS quantity, 'SO-TOO-BIG' AS reference_id
           FROM bronze.inventory_transactions AS t
           JOIN bronze.warehouses AS w USING (warehouse_id)
           WHERE NOT w.allows_backorder AND t.movement_type = 'RECEIPT' LIMIT 1""",
    )
    execute(
        path,
        # an exchange rate that triples overnight
        """UPDATE bronze.fx_rates SET usd_per_unit = usd_per_unit * 3
           WHERE currency_code = 'EUR' AND rate_date = (SELECT max(rate_date) FROM bronze.fx_rates)""",
    )
    run_dbt(["run"], "local", work / "bad_bronze", {"INVENTORY_DUCKDB_PATH": str(path)})
    failed = failing_tests(run_dbt(["test"], "local", work / "bad_bronze", {"INVENTORY_DUCKDB_PATH": str(path)},
                                   expect_success=False))
    assert {"no_rejected_transactions", "transfers_balance_across_warehouses",
            "negative_stock_only_with_backorders", "fx_rates_within_sane_bounds"} <= failed
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT reject_reason FROM silver.transaction_rejects").fetchall() == [("unknown sku_id",)]
    con.close()


# dbt selector -> SQL that breaks it. A generic test's name is unique on its model only
# (`region_is_valid` is on three), so it is selected together with its model.
CORRUPTIONS = {
    "fct_inventory_transactions,transaction_id_is_unique": [
        "INSERT INTO silver.fct_inventory_transactions SELECT * FROM silver.fct_inventory_transactions LIMIT 1"],
    "dim_product,sku_windows_are_valid": [
        """UPDATE silver.dim_product SET effective_to = effective_to + INTERVAL 10 DAY
           WHERE product_key = (SELECT min(product_key) FROM silver.dim_product WHERE NOT is_current)"""],
    "dim_warehouse,region_is_valid": [
        "UPDATE silver.dim_warehouse SET region = 'LATAM' WHERE warehouse_id = (SELECT min(warehouse_id) FROM silver.dim_warehouse)"],
    "snapshot_reconciles_to_ledger": [
        """UPDATE silver.fct_inventory_snapshot_month_end SET quantity_on_hand = quantity_on_hand + 5
           WHERE month_end_date = '2024-06-30' AND sku_entity_key = (
               SELECT min(sku_entity_key) FROM silver.fct_inventory_snapshot_month_end WHERE month_end_date = '2024-06-30')"""],
    "ledger_conserves_bronze_rows": [  # a movement the ledger build lost: every other check stays green
        """DELETE FROM silver.fct_inventory_transactions WHERE transaction_id = (
               SELECT max(transaction_id) FROM silver.fct_inventory_transactions WHERE movement_type = 'ADJUSTMENT')"""],
    "gold_totals_equal_silver_snapshot": [
        "UPDATE gold.gold_inventory_value_monthly SET value_usd = value_usd + 100 WHERE month_key = 202406"],
    "gold_rollups_equal_gold_monthly": [
        "UPDATE gold.gold_inventory_value_by_region SET value_usd = value_usd + 1 WHERE month_key = 202406 AND region = 'EU'"],
    "ledger_currencies_are_known": [
        "DELETE FROM silver.dim_currency WHERE currency_code = 'EUR'"],
    "facts_use_versions_valid_on_event_date": [
        """UPDATE silver.fct_inventory_transactions SET product_key = (
               SELECT product_key FROM silver.dim_product WHERE NOT is_current ORDER BY effective_from LIMIT 1)
           WHERE transaction_id = (SELECT max(transaction_id) FROM silver.fct_inventory_transactions)"""],
}


def test_clean_build_passes_every_test(clean):
    work, path = clean
    assert failing_tests(run_dbt(["test"], "local", work, {"INVENTORY_DUCKDB_PATH": str(path)})) == set()


@pytest.mark.parametrize("check", sorted(CORRUPTIONS))
def test_corrupted_model_fails_its_check(clean, check):
    work, path = copy_of(clean, f"corrupt_{check.replace(',', '_')[:60]}")
    execute(path, *CORRUPTIONS[check])
    results = run_dbt(["test", "--select", check], "local", work, {"INVENTORY_DUCKDB_PATH": str(path)},
                      expect_success=False)
    assert [r["status"] for r in results] == ["fail"]
    assert failing_tests(results) == {check.split(",")[-1]}


# A model edited so its output breaks its contract: (model, SQL before, SQL after, column, contract type).
CONTRACT_BREAKS = {
    "wrong_type": ("gold_inventory_value_monthly", "{{ to_cents('j.value_usd') }} as value_usd",
                   "cast(j.value_usd as double precision) as value_usd", "value_usd", "DECIMAL(38,2)"),
    "renamed_column": ("dim_warehouse", "    region,\n", "    region as operating_region,\n", "region", "VARCHAR"),
}


@pytest.mark.parametrize("case", sorted(CONTRACT_BREAKS))
def test_a_model_breaking_its_contract_fails_the_build_and_writes_nothing(clean, case, tmp_path):
    model, old, new, column, contract_type = CONTRACT_BREAKS[case]
    work, path = copy_of(clean, f"contract_{case}")
    schema = "gold" if model.startswith("gold") else "silver"
    con = duckdb.connect(str(path), read_only=True)
    before = con.execute(f"SELECT * FROM {schema}.{model} ORDER BY ALL").fetchall()
    con.close()
    project = edited_project_copy(tmp_path / "dbt_project", model, old, new)
    results = run_dbt(["run", "--select", model], "local", work, {"INVENTORY_DUCKDB_PATH": str(path)},
                      expect_success=False, project_dir=project)
    [result] = results
    assert result["status"] == "error"
    assert "enforced contract that failed" in result["message"]
    mismatch = next(line for line in result["message"].splitlines() if f"| {column} " in line)
    assert contract_type in mismatch
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute(f"SELECT * FROM {schema}.{model} ORDER BY ALL").fetchall() == before
    con.close()


def test_ledger_conservation_names_the_day_and_its_figures(clean):
    """The failing row of ledger_conserves_bronze_rows says which day lost how many rows, with the figures."""
    work, path = copy_of(clean, "lost_ledger_row")
    execute(path, *CORRUPTIONS["ledger_conserves_bronze_rows"])
    day = duckdb.connect(str(path), read_only=True)
    [(lost_day, ledger_rows)] = day.execute(
        """SELECT event_date, count(*) FROM silver.fct_inventory_transactions WHERE event_date = (
               SELECT CAST(event_ts AS DATE) FROM bronze.inventory_transactions WHERE transaction_id = (
                   SELECT max(transaction_id) FROM bronze.inventory_transactions WHERE movement_type = 'ADJUSTMENT'))
           GROUP BY 1""").fetchall()
    day.close()
    [result] = run_dbt(["test", "--select", "ledger_conserves_bronze_rows"], "local", work,
                       {"INVENTORY_DUCKDB_PATH": str(path)}, expect_success=False)
    con = duckdb.connect(str(path), read_only=True)
    [(message,)] = con.execute(f"SELECT failure_message FROM ({result['compiled_code']})").fetchall()
    con.close()
    assert message.startswith(f"event day {lost_day}: ") and f"Silver holds {ledger_rows} ledger + 0 rejected" in message
    assert ": 1 missing;" in message
