"""Gold when some rows cannot be valued or resolved (docs/valuation.md), through the real CLI.

`inventory-platform materialize --job build_silver_gold` runs Dagster and dbt on a copy of a `tiny`
Bronze file with one fault injected. A SKU without a standard cost, or a ledger row for an unknown SKU,
must not withhold Gold: Gold is refreshed and a failed check names the rows and the fix. When Gold is
not refreshed, the CLI's last line, its exit code, the run and the Gold assets all say so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from dagster._core.events import DagsterEventType
from dagster._core.instance.ref import InstanceRef

from ..e2e.independent_valuation import expected_gold_cells, month_end_balances
from ..support.landed_ledger import is_ledger_insert, land_ledger_insert
from ..support.tiny_bronze import build_tiny_bronze

GOLD = {"gold/gold_inventory_value_monthly", "gold/gold_inventory_value_by_region",
        "gold/gold_inventory_value_trend", "gold/gold_unvalued_stock_monthly"}


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("gold_policy")
    build_tiny_bronze(root, seed=23)
    return root


def case(clean: Path, name: str, *statements: str, params: list | None = None) -> Path:
    """A copy of the clean Bronze file with the statements applied."""
    work = clean / name
    work.mkdir()
    shutil.copy(clean / "warehouse.duckdb", work / "warehouse.duckdb")
    con = duckdb.connect(str(work / "warehouse.duckdb"))
    try:
        for sql in statements:
            if is_ledger_insert(sql):  # the ledger's Bronze is its loaded files: land the rows instead
                land_ledger_insert(con, sql, work / "landing_added", params)
            else:
                con.execute(sql, params or [])
    finally:
        con.close()
    return work


def materialize(work: Path, landing: Path, dbt_in_process: bool = True) -> subprocess.CompletedProcess:
    (work / "dagster_home").mkdir()
    env = {**os.environ, "INVENTORY_ENV": "local", "INVENTORY_DATA_DIR": str(work),
           "INVENTORY_DUCKDB_PATH": str(work / "warehouse.duckdb"), "INVENTORY_LANDING_DIR": str(landing),
           "INVENTORY_QUARANTINE_DIR": str(work / "quarantine"), "DAGSTER_HOME": str(work / "dagster_home"),
           "INVENTORY_DBT_IN_PROCESS": "1" if dbt_in_process else "0", "COLUMNS": "100"}
    cli = Path(sys.executable).with_name("inventory-platform")
    return subprocess.run([str(cli), "materialize", "--job", "build_silver_gold"], env=env, cwd=work,
                          capture_output=True, text=True, timeout=600)


def gold_events(work: Path, event_type: DagsterEventType) -> list:
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(work / "dagster_home"))) as instance:
        return [r.event_log_entry.dagster_event for r in instance.get_records_for_run(
            instance.get_runs(limit=1)[0].run_id, of_type=event_type, limit=10_000).records]


def query(work: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_sku_without_standard_cost_publishes_gold_with_its_stock_unvalued(clean, tmp_path):
    # The independent valuation reads landing files: the same SKU's costs removed there too.
    landing = tmp_path / "landing"
    shutil.copytree(clean / "landing", landing)
    [cost_file] = list((landing / "standard_costs").rglob("*.parquet"))
    costs = pq.read_table(cost_file)
    sku = query(clean, "SELECT min(sku_id) FROM bronze.opening_balances WHERE quantity_on_hand > 0")[0][0]
    pq.write_table(costs.filter(pc.not_equal(costs["sku_id"], sku)), cost_file)
    work = case(clean, "no_cost", "DELETE FROM bronze.standard_costs WHERE sku_id = ?", params=[sku])

    run = materialize(work, landing)
    lines = run.stdout.strip().splitlines()
    assert "Gold refreshed" in lines[-1] and "NOT" not in lines[-1], run.stdout + run.stderr
    assert run.returncode == 1  # a failed check is a failure, though Gold is published
    assert GOLD <= {e.asset_key.to_user_string() for e in gold_events(work, DagsterEventType.ASSET_MATERIALIZATION)}

    # The failed check is red (ERROR) and names the SKU, every warehouse and first month end, and the fix.
    [evaluation] = [e.event_specific_data for e in gold_events(work, DagsterEventType.ASSET_CHECK_EVALUATION)
                    if e.event_specific_data.check_name == "stock_without_standard_cost"]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    stock = month_end_balances(landing)
    stock = stock[(stock["sku_id"] == sku) & (stock["quantity"] != 0)]
    first = stock["month_end"].min().date().isoformat()
    for warehouse in stock["warehouse_id"].unique():
        assert warehouse in evaluation.description, (warehouse, evaluation.description)
    assert f"standard cost for {sku} effective on or before {first}" in evaluation.description
    [printed] = [line for line in lines if "check failed" in line and "stock_without_standard_cost" in line]
    assert sku in printed and first in printed, run.stdout

    # Gold equals the independent valuation, the SKU's units counted and unvalued, to the cent.
    expected = expected_gold_cells(landing)
    gold = pd.DataFrame(query(work, """
        SELECT m.month_end_date, m.warehouse_id, m.category_code, m.quantity_on_hand, m.value_usd,
               coalesce(u.unvalued_quantity_on_hand, 0)
        FROM gold.gold_inventory_value_monthly AS m
        LEFT JOIN gold.gold_unvalued_stock_monthly AS u USING (month_key, warehouse_id, category_code)
        WHERE m.quantity_on_hand <> 0 OR m.value_usd <> 0"""),
        columns=["month_end", "warehouse_id", "category_code", "quantity", "value_usd", "unvalued_quantity"])
    gold["month_end"] = pd.to_datetime(gold["month_end"])
    expected = expected[(expected["quantity"] != 0) | (expected["value_usd"] != 0)]
    merged = expected.merge(gold, on=["month_end", "warehouse_id", "category_code"], how="outer",
                            suffixes=("_expected", "_gold"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head(10).to_string()
    for column in ("quantity", "value_usd", "unvalued_quantity"):
        assert (merged[f"{column}_expected"] == merged[f"{column}_gold"]).all(), column
    assert merged["unvalued_quantity_gold"].sum() == stock.groupby("month_end")["quantity"].sum().sum() > 0


def test_unknown_sku_and_warehouse_in_the_ledger_leave_the_ledger_and_gold_is_refreshed(clean):
    moved = "SELECT {id}, event_ts, {warehouse}, {sku}, movement_type, quantity, reference_id, 'bad', " \
            "_source_file, _source_row, _loaded_at FROM bronze.inventory_transactions " \
            "WHERE movement_type = 'RECEIPT' ORDER BY transaction_id LIMIT 1"
    work = case(clean, "unknown_keys",
                "INSERT INTO bronze.inventory_transactions " + moved.format(id=990000001, warehouse="warehouse_id", sku="'SKU-UNKNOWN'"),
                "INSERT INTO bronze.inventory_transactions " + moved.format(id=990000002, warehouse="'WH-UNKNOWN'", sku="sku_id"))
    landed = query(work, "SELECT _source_file, _source_row, CAST(event_ts AS DATE) "
                         "FROM bronze.inventory_transactions WHERE transaction_id >= 990000001 ORDER BY transaction_id")
    assert len(landed) == 2 and landed[0][2] == landed[1][2]
    day = landed[0][2]

    run = materialize(work, clean / "landing")
    lines = run.stdout.strip().splitlines()
    assert "Gold refreshed" in lines[-1] and "NOT" not in lines[-1], run.stdout + run.stderr
    assert run.returncode == 1
    assert GOLD <= {e.asset_key.to_user_string() for e in gold_events(work, DagsterEventType.ASSET_MATERIALIZATION)}
    assert query(work, "SELECT count(*) FROM silver.fct_inventory_transactions WHERE transaction_id >= 990000001") == [(0,)]

    [evaluation] = [e.event_specific_data for e in gold_events(work, DagsterEventType.ASSET_CHECK_EVALUATION)
                    if e.event_specific_data.check_name == "no_rejected_transactions"]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    for named in ("transaction 990000001", "SKU SKU-UNKNOWN", "unknown sku_id", "transaction 990000002",
                  "warehouse WH-UNKNOWN", "unknown warehouse_id", *(f"{f} row {r}" for f, r, _ in landed),
                  f"valid from {day.isoformat()} or earlier"):
        assert named in evaluation.description, (named, evaluation.description)
    [printed] = [line for line in lines if "check failed" in line and "no_rejected_transactions" in line]
    assert "SKU-UNKNOWN" in printed and "WH-UNKNOWN" in printed
    # Gold still adds up to the Silver snapshot built from the rows that resolved.
    passed = {e.event_specific_data.check_name for e in gold_events(work, DagsterEventType.ASSET_CHECK_EVALUATION)
              if e.event_specific_data.passed}
    assert {"gold_totals_equal_silver_snapshot", "gold_rollups_equal_gold_monthly"} <= passed


@pytest.mark.parametrize("dbt_in_process", [True, False], ids=["dbt_in_the_run", "a_dbt_process"])
def test_when_gold_is_not_refreshed_the_cli_the_run_and_the_gold_assets_say_so(clean, dbt_in_process):
    # A negative standard cost fails an error-severity check upstream: dbt skips everything below it. The
    # same whether dbt runs in the run's process (the default) or in its own (INVENTORY_DBT_IN_PROCESS=0).
    work = case(clean, f"upstream_error_{dbt_in_process}",
                "UPDATE bronze.standard_costs SET standard_cost = -1 "
                "WHERE sku_id = (SELECT min(sku_id) FROM bronze.standard_costs)")

    run = materialize(work, clean / "landing", dbt_in_process)
    last = run.stdout.strip().splitlines()[-1]
    assert run.returncode == 1, run.stdout + run.stderr
    assert last.startswith("Gold NOT refreshed: "), run.stdout + run.stderr
    assert "build_silver_gold failed" in last and "standard_cost_is_positive" in last
    assert "gold_inventory_value_monthly" in last  # among the models dbt skipped

    # The run failed with that reason, and each Gold asset's latest run is that failed run with no
    # materialization: what the UI shows as a failed materialization.
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(work / "dagster_home"))) as instance:
        [dagster_run] = instance.get_runs(limit=1)
        assert dagster_run.status == dg.DagsterRunStatus.FAILURE
        [failure] = [e.event_specific_data for e in gold_events(work, DagsterEventType.STEP_FAILURE)]
        assert failure.user_failure_data.description in last
        for key in GOLD:
            asset_key = dg.AssetKey.from_user_string(key)
            assert instance.get_latest_planned_materialization_info(asset_key).run_id == dagster_run.run_id
            assert instance.get_latest_materialization_event(asset_key) is None
