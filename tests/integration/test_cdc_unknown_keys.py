"""A streamed change for a warehouse or SKU the conformed dimensions do not know never reaches Silver's
stock levels or ledger: it is listed in silver.cdc_rejects and the check on it fails naming the event,
the row key and the reason. Pushed through the real path: local Kinesis -> handler -> Bronze -> dbt."""

from __future__ import annotations

import json

import duckdb
import pytest

from inventory_platform.cdc.local_pipeline import poll_until_idle
from streaming.contract import partition_key
from streaming.kinesis_io import put_records

from ..support.cdc import build_tiny_silver, new_lab
from ..support.cdc_fixtures import endpoint  # noqa: F401 (pytest fixtures)
from ..support.dbt_runner import failing_tests, run_dbt

CDC_SILVER = ["cdc_inventory_transactions", "int_cdc_stock_levels_state", "stock_levels_current", "cdc_rejects",
              "fct_inventory_transactions", "transaction_rejects"]



@pytest.fixture
def lab(tmp_path, endpoint, tmp_path_factory):
    return new_lab(tmp_path, endpoint, build_tiny_silver(tmp_path_factory.mktemp("tiny_silver")), prefix="unknown-keys")


def _known(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        warehouse, currency = con.execute(
            "select warehouse_id, currency_code from silver.dim_warehouse where is_current order by 1 limit 1").fetchone()
        sku = con.execute("select sku_id from silver.dim_product where is_current order by 1 limit 1").fetchone()[0]
        next_id, last_ts = con.execute(
            "select max(transaction_id) + 1, max(event_ts) from silver.fct_inventory_transactions").fetchone()
    finally:
        con.close()
    return warehouse, currency, sku, next_id, last_ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _stock(event_id, lsn, warehouse, sku, currency, at):
    return {"event_id": event_id, "op": "c", "source": {"table": "stock_levels", "lsn": lsn, "ts_ms": 1767225600000},
            "after": {"warehouse_id": warehouse, "sku_id": sku, "quantity_on_hand": 25, "unit_of_measure": "EA",
                      "currency_code": currency, "updated_at": at}}


def test_changes_for_unknown_warehouses_or_skus_stay_out_of_silver_and_fail_a_check_naming_them(lab):
    warehouse, currency, sku, tid, at = _known(lab.db)
    events = [
        _stock("stock-unknown-warehouse", 7001, "-1", sku, currency, at),
        _stock("stock-unknown-sku", 7002, warehouse, "SKU-NEVER-HEARD-OF", currency, at),
        _stock("stock-known", 7003, warehouse, sku, currency, at),
        {"event_id": "movement-unknown-warehouse", "op": "c",
         "source": {"table": "inventory_transactions", "lsn": 7004, "ts_ms": 1767225600000},
         "after": {"transaction_id": tid, "event_ts": at, "warehouse_id": "-1", "sku_id": sku,
                   "movement_type": "RECEIPT", "quantity": 5}},
    ]
    keys = ["-1|" + sku, f"{warehouse}|SKU-NEVER-HEARD-OF", f"{warehouse}|{sku}", str(tid)]
    assert not put_records(lab.kinesis, lab.names.raw, [
        (json.dumps(e).encode(), partition_key(e["source"]["table"], k)) for e, k in zip(events, keys, strict=True)])
    poll_until_idle(lab.pipeline())

    results = run_dbt(["build", "--select", *CDC_SILVER], "local", lab.root, {"INVENTORY_DUCKDB_PATH": str(lab.db)},
                      expect_success=False)
    con = duckdb.connect(str(lab.db), read_only=True)
    try:
        stock = {r[0] for r in con.execute("select warehouse_id || '|' || sku_id from silver.stock_levels_current").fetchall()}
        in_ledger = con.execute("select count(*) from silver.fct_inventory_transactions where transaction_id = ?",
                                [tid]).fetchone()[0]
        assert stock == {f"{warehouse}|{sku}"}  # only the change for a known warehouse and SKU applied
        assert in_ledger == 0

        assert "no_rejected_cdc_changes" in failing_tests(results)
        # What the failing check returns: its own compiled query, run against the warehouse.
        check = next(r for r in results if r["unique_id"].startswith("test.") and "no_rejected_cdc_changes" in r["unique_id"])
        failing_rows = con.execute(
            f"select source_table, row_key, event_id, reject_reason from ({check['compiled_code']}) order by event_id").fetchall()
    finally:
        con.close()
    assert failing_rows == [
        ("inventory_transactions", str(tid), "movement-unknown-warehouse", "unknown warehouse_id"),
        ("stock_levels", f"{warehouse}|SKU-NEVER-HEARD-OF", "stock-unknown-sku", "unknown sku_id"),
        ("stock_levels", f"-1|{sku}", "stock-unknown-warehouse", "unknown warehouse_id"),
    ]
