"""Bronze ingestion: idempotent per file, whole-file quarantine with a reason naming file, row and column."""

from __future__ import annotations

import os
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inventory_platform.bronze.loader import landing_files, load_files
from inventory_platform.landing_contract import FX_RATES, INVENTORY_TRANSACTIONS

TX_SCHEMA = pa.schema([
    ("transaction_id", pa.int64()), ("event_ts", pa.timestamp("us")), ("warehouse_id", pa.string()),
    ("sku_id", pa.string()), ("movement_type", pa.string()), ("quantity", pa.int64()), ("reference_id", pa.string()),
])


def tx_rows(day: int, first_id: int, n: int = 3) -> dict[str, list]:
    return {
        "transaction_id": list(range(first_id, first_id + n)),
        "event_ts": [datetime(2024, 1, day, 10, i) for i in range(n)],
        "warehouse_id": ["WH-001"] * n,
        "sku_id": [f"SKU-{i:06d}" for i in range(n)],
        "movement_type": ["RECEIPT"] * (n - 1) + ["SHIPMENT"],
        "quantity": [5] * (n - 1) + [-2],
        "reference_id": [f"PO-{i}" for i in range(n)],
    }


def write_tx(landing: Path, day: int, rows: dict[str, list], schema: pa.Schema = TX_SCHEMA) -> Path:
    folder = landing / "inventory_transactions" / f"date=2024-01-{day:02d}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "part-00000.parquet"
    pq.write_table(pa.table(rows, schema=schema), path)
    return path


@pytest.fixture
def env(tmp_path: Path):
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    yield con, tmp_path / "landing", tmp_path / "quarantine"
    con.close()


def load_tx(con, landing, quarantine):
    return load_files(con, INVENTORY_TRANSACTIONS, landing_files(landing, INVENTORY_TRANSACTIONS), quarantine)


def test_loads_rows_with_metadata_and_second_load_adds_nothing(env):
    con, landing, quarantine = env
    write_tx(landing, 1, tx_rows(1, 1))
    write_tx(landing, 2, tx_rows(2, 10))
    first = load_tx(con, landing, quarantine)
    assert (first.rows_loaded, len(first.files_loaded), first.rejections) == (6, 2, [])
    meta = con.execute("SELECT count(DISTINCT _batch_id), min(_source_row), max(_source_row), "
                       "count(DISTINCT _row_hash), bool_and(_source_file LIKE '%date=2024-01-0_%') "
                       "FROM bronze.inventory_transactions").fetchone()
    assert meta == (1, 1, 3, 6, True)

    second = load_tx(con, landing, quarantine)
    assert (second.rows_loaded, second.files_skipped) == (0, 2)
    assert con.execute("SELECT count(*) FROM bronze.inventory_transactions").fetchone()[0] == 6


def test_same_content_under_another_path_is_not_loaded_twice(env):
    con, landing, quarantine = env
    path = write_tx(landing, 1, tx_rows(1, 1))
    load_tx(con, landing, quarantine)
    copy = path.parent / "part-00001.parquet"
    copy.write_bytes(path.read_bytes())
    assert load_tx(con, landing, quarantine).rows_loaded == 0


def test_missing_column_quarantines_only_that_file(env):
    con, landing, quarantine = env
    write_tx(landing, 1, tx_rows(1, 1))
    rows = tx_rows(2, 10)
    del rows["movement_type"]
    bad = write_tx(landing, 2, rows, pa.schema([f for f in TX_SCHEMA if f.name != "movement_type"]))
    result = load_tx(con, landing, quarantine)
    assert result.rows_loaded == 3
    [rejection] = result.rejections
    assert rejection.file == bad and rejection.column == "movement_type"
    assert "missing column(s) movement_type" in rejection.message()
    stored = con.execute("SELECT source_file, column_name, reason FROM bronze.quarantine").fetchall()
    assert stored == [(str(bad), "movement_type", "missing column(s) movement_type")]
    copied = list((quarantine / "inventory_transactions").rglob("*.reason.txt"))
    assert len(copied) == 1 and str(bad) in copied[0].read_text()


def test_wrong_parquet_type_is_quarantined(env):
    con, landing, quarantine = env
    rows = tx_rows(1, 1)
    rows["quantity"] = [str(q) for q in rows["quantity"]]
    schema = pa.schema([pa.field("quantity", pa.string()) if f.name == "quantity" else f for f in TX_SCHEMA])
    write_tx(landing, 1, rows, schema)
    result = load_tx(con, landing, quarantine)
    assert result.rows_loaded == 0
    assert result.rejections[0].column == "quantity"
    assert "has type VARCHAR, expected BIGINT" in result.rejections[0].reason


def test_rule_violation_names_first_bad_row_and_nothing_of_the_file_lands(env):
    con, landing, quarantine = env
    rows = tx_rows(1, 1, n=5)
    rows["movement_type"][3] = "SHIPMENT"  # quantity +5 on a shipment: wrong sign
    rows["movement_type"][4] = "TELEPORT"
    path = write_tx(landing, 1, rows)
    [rejection] = load_tx(con, landing, quarantine).rejections
    assert (rejection.row, rejection.column, rejection.bad_rows) == (4, "quantity", 2)
    assert "sign" in rejection.reason and rejection.reason.endswith("(got '5')")
    assert rejection.message().startswith(f"{path}, row 4, column quantity:")
    assert con.execute("SELECT count(*) FROM bronze.inventory_transactions").fetchone()[0] == 0


def test_duplicate_key_within_a_file_is_rejected(env):
    con, landing, quarantine = env
    rows = tx_rows(1, 1)
    rows["transaction_id"][2] = rows["transaction_id"][0]
    write_tx(landing, 1, rows)
    [rejection] = load_tx(con, landing, quarantine).rejections
    assert rejection.column == "transaction_id" and "duplicate key" in rejection.reason


def test_corrected_file_loads_on_next_run(env):
    con, landing, quarantine = env
    rows = tx_rows(1, 1)
    rows["quantity"][0] = 0
    write_tx(landing, 1, rows)
    assert load_tx(con, landing, quarantine).rejections
    rows["quantity"][0] = 7
    write_tx(landing, 1, rows)
    fixed = load_tx(con, landing, quarantine)
    assert (fixed.rows_loaded, fixed.rejections) == (3, [])


def write_fx_csv(landing: Path, body: str) -> Path:
    folder = landing / "fx_rates"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "fx_rates.csv"
    path.write_text("rate_date,currency_code,usd_per_unit\n" + body)
    return path


def test_csv_is_cast_to_contract_types(env):
    con, landing, quarantine = env
    write_fx_csv(landing, "2024-01-02,USD,1\n2024-01-02,EUR,1.0912345678\n2024-01-02,JPY,0.0068\n")
    result = load_files(con, FX_RATES, landing_files(landing, FX_RATES), quarantine)
    assert (result.rows_loaded, result.rejections) == (3, [])
    eur = con.execute("SELECT usd_per_unit FROM bronze.fx_rates WHERE currency_code = 'EUR'").fetchone()[0]
    assert eur == Decimal("1.09123457")


def test_csv_bad_value_names_row_and_column(env):
    con, landing, quarantine = env
    path = write_fx_csv(landing, "2024-01-02,USD,1\n2024-01-02,EUR,1.09\n2024-01-02,GBP,one point two\n")
    [rejection] = load_files(con, FX_RATES, landing_files(landing, FX_RATES), quarantine).rejections
    assert rejection.message() == (
        f"{path}, row 3, column usd_per_unit: value is not a valid DECIMAL(18,8): "
        "expected digits with an optional sign and '.' decimal point (got 'one point two')")
    assert con.execute("SELECT count(*) FROM bronze.fx_rates").fetchone()[0] == 0


def test_csv_with_extra_column_is_rejected(env):
    con, landing, quarantine = env
    folder = landing / "fx_rates"
    folder.mkdir(parents=True)
    (folder / "fx.csv").write_text("rate_date,currency_code,usd_per_unit,source\n2024-01-02,USD,1,ecb\n")
    [rejection] = load_files(con, FX_RATES, landing_files(landing, FX_RATES), quarantine).rejections
    assert rejection.column == "source" and "unexpected column" in rejection.reason


def test_ledger_row_in_the_wrong_day_folder_is_rejected(env):
    con, landing, quarantine = env
    rows = tx_rows(3, 1)
    write_tx(landing, 2, rows)  # events dated 2024-01-03 in folder date=2024-01-02
    [rejection] = load_tx(con, landing, quarantine).rejections
    assert (rejection.row, rejection.column) == (1, "event_ts")
    assert "date=YYYY-MM-DD folder" in rejection.reason


def test_hidden_temporary_files_are_ignored(env):
    con, landing, quarantine = env
    path = write_tx(landing, 1, tx_rows(1, 1))
    path.rename(path.with_name(".part-00000.parquet"))
    assert landing_files(landing, INVENTORY_TRANSACTIONS) == []


def test_a_backfill_commits_month_sized_batches_and_reports_them_as_one_load(tmp_path: Path):
    """A range of days loads in one run, committed in batches of at most 31 days (so a four-year backfill
    never holds its rows uncommitted); the run reports every batch's rows."""
    import dagster as dg

    from inventory_platform.bronze.assets import build_bronze_asset
    from inventory_platform.bronze.landing_zone import LandingZone
    from inventory_platform.dagster_adapter import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
    from inventory_platform.lib.duckdb_warehouse import DuckDBWarehouse

    landing = tmp_path / "landing"
    write_tx(landing, 1, tx_rows(1, 1))
    february = landing / "inventory_transactions" / "date=2024-02-10"
    february.mkdir(parents=True)
    rows = tx_rows(1, 100) | {"event_ts": [datetime(2024, 2, 10, 9, i) for i in range(3)]}
    pq.write_table(pa.table(rows, schema=TX_SCHEMA), february / "part-00000.parquet")

    asset = build_bronze_asset(INVENTORY_TRANSACTIONS, dg.DailyPartitionsDefinition(start_date="2024-01-01"))
    result = dg.materialize(
        [asset], tags={PARTITION_RANGE_START_TAG: "2024-01-01", PARTITION_RANGE_END_TAG: "2024-02-15"},
        resources={"warehouse": DuckDBWarehouse(path=str(tmp_path / "wh.duckdb")),
                   "landing": LandingZone(path=str(landing), quarantine_path=str(tmp_path / "quarantine"))})
    assert result.success
    materializations = result.asset_materializations_for_node(asset.node_def.name)  # one per day of the range
    assert len(materializations) == 46 and {m.metadata["rows_loaded"].value for m in materializations} == {6}
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        batches = con.execute("SELECT _batch_id, min(transaction_id), count(*) FROM bronze.inventory_transactions "
                              "GROUP BY 1 ORDER BY 2").fetchall()
    assert [(first, n) for _, first, n in batches] == [(1, 3), (100, 3)]
    assert batches[0][0].endswith("-000") and batches[1][0].endswith("-001")


def test_zero_quantity_receipt_names_the_quantity(env):
    con, landing, quarantine = env
    rows = tx_rows(1, 1)
    rows["quantity"][0] = 0
    path = write_tx(landing, 1, rows)
    [rejection] = load_tx(con, landing, quarantine).rejections
    assert rejection.message() == (
        f"{path}, row 1, column quantity: quantity is zero or its sign does not match movement_type "
        "(RECEIPT/TRANSFER_IN/RETURN positive, SHIPMENT/TRANSFER_OUT negative) (got '0')")


def test_close_date_before_open_date_names_close_date(env):
    from inventory_platform.landing_contract import WAREHOUSES
    con, landing, quarantine = env
    folder = landing / "warehouses"
    folder.mkdir(parents=True)
    (folder / "wh.csv").write_text(
        "warehouse_id,warehouse_name,region,country_code,city,currency_code,open_date,close_date,allows_backorder,valid_from\n"
        "WH-001,North,EU,DE,Berlin,EUR,2020-05-01,2019-01-01,false,2020-05-01\n")
    [rejection] = load_files(con, WAREHOUSES, landing_files(landing, WAREHOUSES), quarantine).rejections
    assert (rejection.column, rejection.reason) == ("close_date", "close_date is before open_date (got '2019-01-01')")


def write_tx_csv(landing: Path, day: int, body: str, name: str = "part-00000.csv") -> Path:
    folder = landing / "inventory_transactions" / f"date=2024-01-{day:02d}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("transaction_id,event_ts,warehouse_id,sku_id,movement_type,quantity,reference_id\n" + body)
    return path


@pytest.mark.parametrize(("column", "value", "expected"), [
    ("quantity", "5.7", "digits with an optional sign"),
    ("quantity", "0x10", "digits with an optional sign"),
    ("quantity", "1e3", "digits with an optional sign"),
    ("quantity", "1_000", "digits with an optional sign"),
    ("transaction_id", "0b101", "digits with an optional sign"),
    ("event_ts", "2024-01-02 02:00:00+05:00", "no offset other than Z or +00:00"),
    ("event_ts", "2024-01-02 24:00:00", "no offset other than Z or +00:00"),
    ("event_ts", "2024-01-02", "YYYY-MM-DD HH:MM:SS"),
])
def test_csv_values_are_parsed_strictly(env, column: str, value: str, expected: str):
    """DuckDB's casts would store 5.7 as 6, 0x10 as 16, 1e3 as 1000 and 02:00+05:00 as 02:00 on the wrong UTC
    day; the contract's formats reject them with row and column."""
    con, landing, quarantine = env
    good = {"transaction_id": "2", "event_ts": "2024-01-02 10:00:00", "quantity": "5"}
    bad = good | {column: value}
    row = "{transaction_id},{event_ts},WH-001,SKU-000001,RECEIPT,{quantity},PO-1\n"
    path = write_tx_csv(landing, 2, row.format(**good | {"transaction_id": "1"}) + row.format(**bad))
    [rejection] = load_tx(con, landing, quarantine).rejections
    assert (rejection.file, rejection.row, rejection.column) == (path, 2, column)
    assert "value is not a valid" in rejection.reason and expected in rejection.reason
    assert rejection.reason.endswith(f"(got {value!r})")
    assert con.execute("SELECT count(*) FROM bronze.inventory_transactions").fetchone()[0] == 0


def test_csv_accepts_the_contract_formats_and_utc_designators(env):
    con, landing, quarantine = env
    write_tx_csv(landing, 2, "1,2024-01-02 10:00:00,WH-001,SKU-1,RECEIPT,+5,PO-1\n"
                             "2,2024-01-02T10:00:00.123456Z,WH-001,SKU-1,SHIPMENT,-3,\n"
                             "3, 2024-01-02 23:59:59+00:00 ,WH-001,SKU-1,ADJUSTMENT, 7 ,ADJ-1\n")
    result = load_tx(con, landing, quarantine)
    assert (result.rows_loaded, result.rejections) == (3, [])
    assert con.execute("SELECT list(event_ts ORDER BY transaction_id), list(quantity ORDER BY transaction_id) "
                       "FROM bronze.inventory_transactions").fetchone() == (
        [datetime(2024, 1, 2, 10), datetime(2024, 1, 2, 10, 0, 0, 123456), datetime(2024, 1, 2, 23, 59, 59)], [5, -3, 7])


@pytest.mark.parametrize(("value", "accepted"), [("1e3", False), ("1.5", True), (".5", True), ("1,5", False), ("0x1A", False)])
def test_csv_decimals_without_exponent(env, value: str, accepted: bool):
    con, landing, quarantine = env
    write_fx_csv(landing, f'2024-01-02,EUR,"{value}"\n')
    result = load_files(con, FX_RATES, landing_files(landing, FX_RATES), quarantine)
    assert (result.rejections == []) is accepted
    if not accepted:
        assert result.rejections[0].column == "usd_per_unit" and "not a valid DECIMAL(18,8)" in result.rejections[0].reason


def test_a_quarantined_file_fixed_with_the_same_size_and_mtime_loads(env):
    """The path/size/mtime shortcut skipped the corrected file: same length, times preserved (cp -p, rsync -t)."""
    con, landing, quarantine = env
    body = "1,2024-01-02 10:00:00,WH-001,SKU-1,RECEIPT,{q},PO-1\n"
    path = write_tx_csv(landing, 2, body.format(q=0))
    stat = path.stat()
    assert load_tx(con, landing, quarantine).rejections
    path.write_text(path.read_text().replace(body.format(q=0), body.format(q=7)))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)

    fixed = load_tx(con, landing, quarantine)

    assert (fixed.rows_loaded, fixed.rejections) == (1, [])
    from inventory_platform.bronze.assets import unresolved_quarantine
    assert unresolved_quarantine(con, INVENTORY_TRANSACTIONS) == []
    assert load_tx(con, landing, quarantine).files_skipped == 1  # and, loaded, it is not loaded again
