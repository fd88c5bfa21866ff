"""Every landed file reaches Bronze or a red check names it, with its rows (landing → Bronze conservation).

Through the real Bronze asset (Dagster, a DuckDB file, Parquet files on disk): a day before the ledger's
partitions, a folder whose name is not a day, stray files, a quarantined file.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inventory_platform.bronze.assets import build_bronze_asset
from inventory_platform.bronze.landing_accounting import ACCOUNTING_CHECK, account_for_landing
from inventory_platform.bronze.landing_inventory import landed_files, loadable_days
from inventory_platform.bronze.landing_zone import LandingZone
from inventory_platform.bronze.loader import landing_files, load_files
from inventory_platform.dagster_adapter import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from inventory_platform.landing_contract import INVENTORY_TRANSACTIONS
from inventory_platform.lib.duckdb_warehouse import DuckDBWarehouse
from inventory_platform.orchestration.materialize import partition_range
from inventory_platform.settings import ledger_history_start
from tests.unit.test_bronze_ingestion import TX_SCHEMA

LEDGER = INVENTORY_TRANSACTIONS.name


def land_day(landing: Path, day: date, first_id: int, rows: int = 4, name: str = "part-00000.parquet",
             folder: str | None = None) -> Path:
    table = pa.table({
        "transaction_id": list(range(first_id, first_id + rows)),
        "event_ts": [datetime(day.year, day.month, day.day, 9, i) for i in range(rows)],
        "warehouse_id": ["WH-001"] * rows, "sku_id": ["SKU-000001"] * rows,
        "movement_type": ["RECEIPT"] * rows, "quantity": [3] * rows, "reference_id": ["PO-1"] * rows,
    }, schema=TX_SCHEMA)
    target = landing / LEDGER / (folder if folder is not None else f"date={day.isoformat()}")
    target.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, target / name)
    return target / name


def run_ledger(tmp_path: Path, first_partition: str, start: str, end: str) -> dg.ExecuteInProcessResult:
    asset = build_bronze_asset(INVENTORY_TRANSACTIONS, dg.DailyPartitionsDefinition(
        start_date=first_partition, end_date="2000-01-01"))
    return dg.materialize(
        [asset], tags={PARTITION_RANGE_START_TAG: start, PARTITION_RANGE_END_TAG: end},
        resources={"warehouse": DuckDBWarehouse(path=str(tmp_path / "wh.duckdb")),
                   "landing": LandingZone(path=str(tmp_path / "landing"), quarantine_path=str(tmp_path / "q"))},
        raise_on_error=False)


def evaluation(result: dg.ExecuteInProcessResult, name: str):
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return check


def test_days_before_the_history_start_fail_the_accounting_check_with_their_names_and_rows(tmp_path, monkeypatch):
    """Issue 15 item 1: with INVENTORY_HISTORY_START after the first landed day, those days were skipped
    with every check green. Now they are named, with their rows, by a failing error-severity check."""
    landing = tmp_path / "landing"
    for n, day in enumerate([date(1998, 12, 30), date(1998, 12, 31), date(1999, 1, 1), date(1999, 1, 2)]):
        land_day(landing, day, first_id=100 * n, rows=4 + n)
    monkeypatch.setenv("INVENTORY_HISTORY_START", "1999-01-01")
    assert ledger_history_start(landing) == date(1999, 1, 1)

    result = run_ledger(tmp_path, "1999-01-01", "1999-01-01", "1999-01-02")
    assert result.success
    check = evaluation(result, ACCOUNTING_CHECK)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["unaccounted_files"].value == 2 and check.metadata["unaccounted_rows"].value == 4 + 5
    listing = check.metadata["not_in_bronze"].value
    assert "date=1998-12-30" in listing and "(4 rows)" in listing and "date=1998-12-31" in listing and "(5 rows)" in listing
    assert "outside the ledger's daily partitions 1999-01-01" in listing and "date=1999-01-0" not in listing

    monkeypatch.delenv("INVENTORY_HISTORY_START")  # unset: the partitions follow the data
    assert ledger_history_start(landing) == date(1998, 12, 30)
    assert run_ledger(tmp_path, "1998-12-30", "1998-12-30", "1999-01-02").success
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        assert con.execute(f"SELECT count(*) FROM bronze.{LEDGER}").fetchone()[0] == 4 + 5 + 6 + 7


def test_when_every_landed_day_precedes_the_partitions_the_plan_still_runs_the_check(tmp_path):
    """Every landed day before the partitions: the ledger load used to never start, and Silver failed later
    on a missing table. The plan now runs the last partition, whose check names every landed day."""
    landing = tmp_path / "landing"
    land_day(landing, date(1998, 6, 1), first_id=1)
    asset = build_bronze_asset(INVENTORY_TRANSACTIONS, dg.DailyPartitionsDefinition(
        start_date="1999-01-01", end_date="1999-02-01"))
    defs = dg.Definitions(assets=[asset], jobs=[dg.define_asset_job("load_inventory_transactions", [asset.key])],
                          resources={"warehouse": DuckDBWarehouse(path=str(tmp_path / "wh.duckdb")),
                                     "landing": LandingZone(path=str(landing), quarantine_path=str(tmp_path / "q"))})
    assert partition_range(defs, landing) == ("1999-01-31", "1999-01-31")

    result = run_ledger(tmp_path, "1999-01-01", "1999-01-31", "1999-01-31")
    assert result.success
    check = evaluation(result, ACCOUNTING_CHECK)
    assert not check.passed and "date=1998-06-01" in check.metadata["not_in_bronze"].value


def test_files_no_load_can_read_are_named_instead_of_crashing_or_vanishing(tmp_path):
    """Issue 16 item 3: `date=2025-13-45` crashed the plan with a bare ValueError; `.CSV`, files in the
    table's root folder and in nested folders were skipped without a word."""
    landing = tmp_path / "landing"
    good = land_day(landing, date(1999, 1, 1), first_id=1)
    land_day(landing, date(1999, 1, 2), first_id=10, folder="date=2025-13-45")
    land_day(landing, date(1999, 1, 2), first_id=20, folder="")
    land_day(landing, date(1999, 1, 1), first_id=30, folder="date=1999-01-01/late", rows=2)
    csv = landing / LEDGER / "date=1999-01-01" / "export.CSV"
    csv.write_text("transaction_id,event_ts\n1,2\n")

    assert loadable_days(landing, INVENTORY_TRANSACTIONS) == [date(1999, 1, 1)]
    assert landing_files(landing, INVENTORY_TRANSACTIONS) == [good]
    problems = {f.path.relative_to(landing / LEDGER).as_posix(): f.problem
                for f in landed_files(landing, INVENTORY_TRANSACTIONS) if f.problem}
    assert set(problems) == {"date=2025-13-45/part-00000.parquet", "part-00000.parquet",
                             "date=1999-01-01/late/part-00000.parquet", "date=1999-01-01/export.CSV"}
    assert "not a valid day" in problems["date=2025-13-45/part-00000.parquet"]
    assert "rename it to export.csv" in problems["date=1999-01-01/export.CSV"]

    result = run_ledger(tmp_path, "1999-01-01", "1999-01-01", "1999-01-01")
    assert result.success
    check = evaluation(result, ACCOUNTING_CHECK)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["unaccounted_files"].value == 4 and check.metadata["loaded_files"].value == 1
    listing = check.metadata["not_in_bronze"].value
    assert "date=2025-13-45/part-00000.parquet (4 rows): not loaded: folder 'date=2025-13-45'" in listing
    assert "late/part-00000.parquet (2 rows)" in listing and "export.CSV (1 rows)" in listing


def test_a_quarantined_file_turns_a_check_red_with_its_name_and_rows(tmp_path):
    landing = tmp_path / "landing"
    land_day(landing, date(1999, 1, 1), first_id=1)
    bad = land_day(landing, date(1999, 1, 2), first_id=10, rows=6)
    table = pq.read_table(bad)
    pq.write_table(table.set_column(5, "quantity", pa.array([3, 3, 0, 3, 3, 3], pa.int64())), bad)

    result = run_ledger(tmp_path, "1999-01-01", "1999-01-01", "1999-01-02")
    assert result.success
    quarantine = evaluation(result, "no_unresolved_quarantined_files")
    assert not quarantine.passed and quarantine.severity == dg.AssetCheckSeverity.ERROR
    assert "date=1999-01-02/part-00000.parquet, row 3" in quarantine.metadata["quarantined_files"].value
    assert "6 rows not loaded" in quarantine.metadata["quarantined_files"].value
    accounting = evaluation(result, ACCOUNTING_CHECK)  # quarantined is accounted for: the check above owns it
    assert accounting.passed and accounting.metadata["quarantined_files"].value == 1


def test_a_loaded_file_missing_rows_in_bronze_is_named(tmp_path):
    """The per-file row identity: rows in the landed file = rows the load put into Bronze."""
    landing = tmp_path / "landing"
    land_day(landing, date(1999, 1, 1), first_id=1, rows=5)
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        result = load_files(con, INVENTORY_TRANSACTIONS, landing_files(landing, INVENTORY_TRANSACTIONS), tmp_path / "q")
        assert account_for_landing(con, INVENTORY_TRANSACTIONS, landing, None, [result.batch_id]).unaccounted == []
        con.execute("UPDATE bronze.load_log SET rows_loaded = 3")  # what a loader that dropped two rows would log
        [short] = account_for_landing(con, INVENTORY_TRANSACTIONS, landing, None, [result.batch_id]).unaccounted
    assert short.rows == 5 and "only 3 of its rows reached Bronze" in short.reason and not short.pending


def test_a_day_not_yet_materialized_is_a_warning_that_names_it(tmp_path):
    landing = tmp_path / "landing"
    land_day(landing, date(1999, 1, 1), first_id=1)
    land_day(landing, date(1999, 1, 5), first_id=10)
    result = run_ledger(tmp_path, "1999-01-01", "1999-01-01", "1999-01-01")
    check = evaluation(result, ACCOUNTING_CHECK)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "date=1999-01-05/part-00000.parquet (4 rows): landed, not loaded yet: materialize its partition 1999-01-05" \
        in check.metadata["not_in_bronze"].value


@pytest.mark.parametrize("folder", ["date=2024-02-30", "date=24-01-01", "dt=2024-01-01"])
def test_bad_day_folder_names_do_not_stop_the_plan(tmp_path, folder):
    land_day(tmp_path, date(2024, 1, 1), first_id=1, folder=folder)
    assert loadable_days(tmp_path, INVENTORY_TRANSACTIONS) == []


def test_a_copy_of_a_loaded_file_is_accounted_for_and_not_loaded_again(tmp_path):
    landing = tmp_path / "landing"
    loaded = land_day(landing, date(1999, 1, 1), first_id=1)
    assert run_ledger(tmp_path, "1999-01-01", "1999-01-01", "1999-01-01").success
    (loaded.parent / "resent.parquet").write_bytes(loaded.read_bytes())
    result = run_ledger(tmp_path, "1999-01-01", "1999-01-01", "1999-01-01")
    assert evaluation(result, ACCOUNTING_CHECK).passed
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        assert con.execute(f"SELECT count(*) FROM bronze.{LEDGER}").fetchone()[0] == 4


def test_day_folders_linked_into_the_landing_zone_are_read(tmp_path):
    """The bench (and a user) may link day folders in rather than copy them."""
    elsewhere = land_day(tmp_path / "store", date(1999, 1, 3), first_id=1).parent
    landing = tmp_path / "landing"
    (landing / LEDGER).mkdir(parents=True)
    (landing / LEDGER / elsewhere.name).symlink_to(elsewhere, target_is_directory=True)
    (landing / LEDGER / "loop").symlink_to(landing / LEDGER, target_is_directory=True)
    assert loadable_days(landing, INVENTORY_TRANSACTIONS) == [date(1999, 1, 3)]
    assert [f.problem for f in landed_files(landing, INVENTORY_TRANSACTIONS)] == [None]  # the loop is walked once
