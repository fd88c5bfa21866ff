"""The incremental ledger and month-end snapshot restate exactly the days and months late data affects,
and end up equal to a full rebuild of the same Bronze, whatever kind of late data arrives
(docs/late_arriving.md)."""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from inventory_platform.cdc.source_catalog import catalog_from_warehouse
from streaming.local.source_simulator import SourceSimulator

from ..support.cdc import append_streamed_events
from ..support.dbt_runner import failing_tests, run_dbt
from ..support.landed_ledger import is_ledger_insert, land_ledger_insert
from ..support.tiny_bronze import build_tiny_bronze

SNAPSHOT = "silver.fct_inventory_snapshot_month_end"
LEDGER = "silver.fct_inventory_transactions"
# Gold monthly and what it reads (the snapshot and the ledger included), the ledger's rejects, and the mark
# that the ledger's pass completed (int_ledger_chunk_done, built after all of them).
REBUILD = ["run", "--select", "+int_ledger_chunk_done"]
NOW = "CAST(now() AT TIME ZONE 'UTC' AS TIMESTAMP)"


LATE_MOVEMENTS = f"""
    INSERT INTO bronze.inventory_transactions
    SELECT 990000000 + n, event_ts, warehouse_id, sku_id, 'ADJUSTMENT', 4 + n, 'LATE-' || n,
           'late-movements', _source_file, _source_row, {NOW}
    FROM (SELECT * FROM bronze.inventory_transactions
          WHERE CAST(event_ts AS DATE) = DATE '2024-03-14' ORDER BY transaction_id LIMIT 1) AS first_one,
         range(1, 3) AS t(n)"""

BACK_DATED_CHANGES = [
    # a cost revision effective mid-2024 for a few SKUs
    f"""INSERT INTO bronze.standard_costs
        SELECT sku_id, currency_code, DATE '2024-07-10', standard_cost * 1.1, 'late-changes', _source_file,
               _source_row, {NOW}
        FROM bronze.standard_costs ORDER BY sku_id, currency_code, effective_date LIMIT 5""",
    # a corrected EUR closing rate for the last business day of September 2024
    f"""INSERT INTO bronze.fx_rates
        SELECT rate_date, currency_code, usd_per_unit * 1.01, 'late-changes', _source_file, _source_row, {NOW}
        FROM bronze.fx_rates WHERE currency_code = 'EUR' AND rate_date <= DATE '2024-09-30'
        ORDER BY rate_date DESC LIMIT 1""",
    # a product moved to another category from October 2024
    f"""INSERT INTO bronze.products
        SELECT sku_id, product_name, 'CAT-01', category_name, brand, unit_of_measure, DATE '2024-10-01',
               'late-changes', _source_file, _source_row, {NOW}
        FROM bronze.products WHERE category_code <> 'CAT-01' ORDER BY sku_id LIMIT 1""",
    # a movement re-sent with a corrected day: it leaves August 2024 and lands in December 2024
    f"""INSERT INTO bronze.inventory_transactions
        SELECT transaction_id, event_ts + INTERVAL 120 DAY, warehouse_id, sku_id, movement_type, quantity,
               reference_id, 'late-changes', _source_file, _source_row, {NOW}
        FROM bronze.inventory_transactions
        WHERE movement_type = 'RECEIPT' AND CAST(event_ts AS DATE) = DATE '2024-08-05'
        ORDER BY transaction_id LIMIT 1""",
]


def execute(path: Path, *statements: str) -> None:
    con = duckdb.connect(str(path))
    try:
        for sql in statements:
            if is_ledger_insert(sql):  # the ledger's Bronze is its loaded files: land the rows instead
                land_ledger_insert(con, sql, path.parent / "landing_added")
            else:
                con.execute(sql)
    finally:
        con.close()


def query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def snapshot(path: Path) -> list[tuple]:
    """Every stored column, with the pair's ids from the (append-only) entity key maps: warehouse_id (0), sku_id (2),
    month_end_date (5), quantity_on_hand (7), the stamps last."""
    return query(path, f"""SELECT m.warehouse_id, s.warehouse_entity_key, k.sku_id, s.sku_entity_key, s.product_key,
               s.month_end_date, s.value_local, s.quantity_on_hand, s.net_movement_quantity, s.movement_count,
               s.bronze_loaded_through, s.build_id
        FROM {SNAPSHOT} AS s
        LEFT JOIN silver.key_map_warehouse AS m USING (warehouse_entity_key)
        LEFT JOIN silver.key_map_sku AS k USING (sku_entity_key)
        ORDER BY ALL""")


def ledger(path: Path) -> list[tuple]:
    return query(path, f"SELECT * FROM {LEDGER} ORDER BY ALL")


def gold(path: Path) -> list[tuple]:
    return query(path, "SELECT * FROM gold.gold_inventory_value_monthly ORDER BY ALL")


def rejects(path: Path) -> list[tuple]:
    return query(path, "SELECT * FROM silver.transaction_rejects ORDER BY ALL")


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> dict:
    """One warehouse through a day-to-day life: built, rebuilt with nothing new, rebuilt after late
    movements, after back-dated reference changes, after streamed CDC changes (inserts, corrections and
    deletes, some late); then a full rebuild of the final Bronze."""
    work = tmp_path_factory.mktemp("incremental")
    path = build_tiny_bronze(work, seed=3)
    env = {"INVENTORY_DUCKDB_PATH": str(path)}
    run_dbt(["run"], "local", work, env)
    states = {"built": snapshot(path), "ledger_built": ledger(path), "gold_built": gold(path)}
    run_dbt(REBUILD, "local", work, env)
    states["nothing_new"], states["ledger_nothing_new"] = snapshot(path), ledger(path)
    states["gold_nothing_new"] = gold(path)
    execute(path, LATE_MOVEMENTS)
    states["late_pair"] = set(query(path, "SELECT DISTINCT warehouse_id, sku_id FROM bronze.inventory_transactions "
                                          "WHERE _batch_id = 'late-movements'"))
    run_dbt(REBUILD, "local", work, env)
    states["late_movements"], states["ledger_late_movements"] = snapshot(path), ledger(path)
    states["rejects_late_movements"] = rejects(path)
    states["restated_from_late_movements"] = {model: restated_day(work, model) for model in LEDGER_MODELS}
    states["gold_late_movements"] = gold(path)
    execute(path, *BACK_DATED_CHANGES)
    run_dbt(REBUILD, "local", work, env)
    states["back_dated_changes"], states["ledger_back_dated_changes"] = snapshot(path), ledger(path)
    con = duckdb.connect(str(path), read_only=True)
    source = SourceSimulator.start(catalog_from_warehouse(con), seed=3, out_of_order_rate=0.3, late_rate=0.2)
    con.close()
    append_streamed_events(path, source, 1_500)  # the first ~600 are the stock-level snapshot
    execute(path, f"UPDATE bronze.cdc_events SET _loaded_at = {NOW} WHERE _batch_id = 'offline'")
    run_dbt(REBUILD, "local", work, env)
    states["streamed_days"] = query(path, """
        SELECT min(CAST(event_ts AS DATE)) FROM silver.cdc_inventory_transactions""")[0][0]
    states["streamed_deletes"] = query(path, """
        SELECT count(*) FROM silver.cdc_inventory_transactions WHERE is_deleted""")[0][0]
    states["streamed"], states["ledger_streamed"] = snapshot(path), ledger(path)
    states["rejects_streamed"], states["gold_streamed"] = rejects(path), gold(path)
    states["incremental_copy"] = work / "incremental_copy"
    states["incremental_copy"].mkdir()
    shutil.copy(path, states["incremental_copy"] / "warehouse.duckdb")
    states["daily_copy"] = work / "daily_copy.duckdb"  # left as the last daily run wrote it
    shutil.copy(path, states["daily_copy"])
    full = work / "full" / "warehouse.duckdb"
    full.parent.mkdir()
    shutil.copy(path, full)
    run_dbt(["run", "--full-refresh", *REBUILD[1:]], "local", work / "full", {"INVENTORY_DUCKDB_PATH": str(full)})
    states["full_rebuild"], states["ledger_full_rebuild"] = snapshot(full), ledger(full)
    states["rejects_full_rebuild"], states["gold_full_rebuild"] = rejects(full), gold(full)
    return states


LEDGER_MODELS = ("fct_inventory_transactions", "transaction_rejects")


def restated_day(work: Path, model: str) -> str | None:
    """The day the model's last incremental run deleted from, read from the SQL dbt ran."""
    sql = (work / "target-local" / "run" / "inventory_platform" / "models" / "silver" / f"{model}.sql").read_text()
    found = re.search(r"where event_date >= cast\('(\d{4}-\d{2}-\d{2})' as date\)", sql)
    return found.group(1) if found else None


def without_watermark(table: list[tuple]) -> list[tuple]:
    """Rows without their stamps (bronze_loaded_through, build_id: the last two columns)."""
    return [r[:-2] for r in table]


def split(table: list[tuple], month_end: date) -> tuple[list[tuple], list[tuple]]:
    return [r for r in table if r[5] < month_end], [r for r in table if r[5] >= month_end]


def test_a_run_with_nothing_new_rewrites_nothing(history):
    assert history["nothing_new"] == history["built"]  # watermark included: not one row was rewritten


def test_late_movements_restate_their_month_and_later_months_only(history):
    before, after, pair = history["built"], history["late_movements"], history["late_pair"]
    march = date(2024, 3, 31)
    assert split(after, march)[0] == split(before, march)[0]  # earlier months byte-identical
    old = {(r[0], r[2], r[5]): r for r in split(before, march)[1]}
    new = {(r[0], r[2], r[5]): r for r in split(after, march)[1]}
    assert old.keys() <= new.keys()
    moved = {k for k in new if k not in old or new[k][7] != old[k][7]}
    assert {(w, s) for w, s, _ in moved} == pair
    assert {k[2] for k in moved} == {k[2] for k in new if (k[0], k[1]) in pair}  # in every later month
    assert {new[k][7] - old[k][7] for k in moved & old.keys()} == {5 + 6}  # both late quantities, carried forward
    # Restated months are rewritten whole by the new build; earlier months keep the old one.
    assert len({r[-1] for r in split(after, march)[1]}) == 1
    assert {r[-1] for r in split(after, march)[1]}.isdisjoint({r[-1] for r in before})


def test_back_dated_changes_restate_from_the_earliest_affected_month(history):
    before, after = history["late_movements"], history["back_dated_changes"]
    july = date(2024, 7, 31)
    assert split(after, july)[0] == split(before, july)[0]
    assert without_watermark(split(after, july)[1]) != without_watermark(split(before, july)[1])


def test_streamed_changes_restate_from_their_earliest_day(history):
    before, after = history["back_dated_changes"], history["streamed"]
    first = history["streamed_days"]
    month_end = date(first.year + first.month // 12, first.month % 12 + 1, 1) - timedelta(days=1)
    assert split(after, month_end)[0] == split(before, month_end)[0]
    assert without_watermark(split(after, month_end)[1]) != without_watermark(split(before, month_end)[1])


def test_incremental_history_equals_a_full_rebuild(history):
    assert len(history["full_rebuild"]) > 1000
    assert without_watermark(history["streamed"]) == without_watermark(history["full_rebuild"])


def days(table: list[tuple], first: date) -> tuple[list[tuple], list[tuple]]:
    """Ledger rows before the day, and from it on (event_date is the third column)."""
    return [r for r in table if r[2] < first], [r for r in table if r[2] >= first]


def test_the_ledger_rewrites_nothing_when_nothing_is_new(history):
    assert history["ledger_nothing_new"] == history["ledger_built"]  # watermark included


def test_late_movements_restate_the_ledger_from_their_day_only(history):
    before, after = history["ledger_nothing_new"], history["ledger_late_movements"]
    late_day = date(2024, 3, 14)
    assert days(after, late_day)[0] == days(before, late_day)[0]  # earlier days byte-identical
    added = {r[0] for r in after} - {r[0] for r in before}
    assert added == {990000001, 990000002} and len(after) == len(before) + 2
    assert len({r[-1] for r in days(after, late_day)[1]}) == 1  # restated days rewritten under one watermark


def test_the_ledger_models_restate_from_the_same_day_even_when_there_are_no_rejects(history):
    # An empty rejects table has no watermark of its own: it must use the ledger's, not restate everything.
    assert history["rejects_late_movements"] == []
    assert history["restated_from_late_movements"] == dict.fromkeys(LEDGER_MODELS, "2024-03-14")


def test_a_movement_corrected_to_another_day_leaves_its_old_day(history):
    before, after = history["ledger_late_movements"], history["ledger_back_dated_changes"]
    aug5 = date(2024, 8, 5)
    moved = [r for r in before if r[2] == aug5 and r[6] == "RECEIPT"][0][0]  # event_date, movement_type: 3rd, 7th columns
    assert [r[2] for r in after if r[0] == moved] == [aug5 + timedelta(days=120)]
    assert days(after, date(2024, 7, 10))[0] == days(before, date(2024, 7, 10))[0]  # before the cost revision


def test_incremental_ledger_equals_a_full_rebuild(history):
    assert history["streamed_deletes"] > 0  # streamed deletes went through the incremental path
    assert len(history["ledger_full_rebuild"]) > 10_000
    assert without_watermark(history["ledger_streamed"]) == without_watermark(history["ledger_full_rebuild"])
    assert without_watermark(history["rejects_streamed"]) == without_watermark(history["rejects_full_rebuild"])


def test_gold_rewrites_only_the_months_the_snapshot_restated(history):
    assert history["gold_nothing_new"] == history["gold_built"]  # watermark included
    before, after = history["gold_nothing_new"], history["gold_late_movements"]
    march = date(2024, 3, 31)  # gold rows: month_end_date first
    assert [r for r in after if r[0] < march] == [r for r in before if r[0] < march]
    changed = {r[0] for r in set(after) ^ set(before)}
    assert min(changed) == march and date(2025, 3, 31) in changed  # the month and, a year on, its prior year


def test_incremental_gold_equals_a_full_rebuild(history):
    assert len(history["gold_full_rebuild"]) > 500
    assert without_watermark(history["gold_streamed"]) == without_watermark(history["gold_full_rebuild"])


def test_ledger_tests_check_the_rows_the_latest_build_wrote(history):
    """A daily build tests the days it restated, not the billion-row history (macros/test_scope.sql);
    test_all_rows tests everything."""
    work = history["incremental_copy"]
    db = work / "warehouse.duckdb"
    env = {"INVENTORY_DUCKDB_PATH": str(db)}
    accepted = "movement_type_is_valid"
    ledger_tests = ["test", "--select", "fct_inventory_transactions,test_type:generic"]
    latest = f"(SELECT max(build_id) FROM {LEDGER})"
    execute(db, f"""UPDATE {LEDGER} SET movement_type = 'BOGUS' WHERE transaction_id = (
                     SELECT min(transaction_id) FROM {LEDGER} WHERE build_id < {latest})""")
    assert accepted not in failing_tests(run_dbt(ledger_tests, "local", work, env, expect_success=False))
    every_row = run_dbt([*ledger_tests, "--vars", "{test_all_rows: true}"], "local", work, env, expect_success=False)
    assert failing_tests(every_row) == {accepted}
    execute(db, f"UPDATE {LEDGER} SET movement_type = 'RECEIPT' WHERE movement_type = 'BOGUS'",
            f"""UPDATE {LEDGER} SET movement_type = 'BOGUS' WHERE transaction_id = (
                 SELECT min(transaction_id) FROM {LEDGER} WHERE build_id = {latest})""")
    assert failing_tests(run_dbt(ledger_tests, "local", work, env, expect_success=False)) == {accepted}


# Singular tests scoped to what the latest build wrote: the table and date column the scope comes from, and
# how to break one row of it (a transfer leg: its transfer no longer balances).
SCOPED_SINGULAR_TESTS = {
    "snapshot_reconciles_to_ledger": (SNAPSHOT, "month_end_date", "quantity_on_hand = quantity_on_hand + 1", "true"),
    "gold_totals_equal_silver_snapshot": ("gold.gold_inventory_value_monthly", "month_end_date",
                                          "value_usd = value_usd + 100", "true"),
    "transfers_balance_across_warehouses": (LEDGER, "event_date", "quantity = quantity + 1",
                                            "movement_type = 'TRANSFER_IN'"),
}


@pytest.mark.parametrize("test_name", sorted(SCOPED_SINGULAR_TESTS))
def test_singular_tests_check_what_the_latest_build_wrote(history, tmp_path, test_name):
    """Singular tests are scoped the same way (latest_build_from in macros/test_scope.sql): a broken row
    the latest build did not write is found with test_all_rows only; one it wrote, by every build."""
    table, day, breaking, rows = SCOPED_SINGULAR_TESTS[test_name]
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(history["incremental_copy"] / "warehouse.duckdb", db)
    env = {"INVENTORY_DUCKDB_PATH": str(db)}
    selected = ["test", "--select", test_name]
    latest = f"(SELECT max(build_id) FROM {table})"
    first_rewritten = query(db, f"SELECT min({day}) FROM {table} WHERE build_id = {latest} AND {rows}")[0][0]
    oldest = query(db, f"SELECT min({day}) FROM {table} WHERE {rows}")[0][0]
    assert (first_rewritten - oldest).days > 62  # the broken month and the one after it are both out of scope

    def break_one_row(on: date) -> None:
        execute(db, f"""UPDATE {table} SET {breaking} WHERE rowid = (
                         SELECT min(rowid) FROM {table} WHERE {day} = DATE '{on}' AND {rows})""")

    break_one_row(oldest)
    assert test_name not in failing_tests(run_dbt(selected, "local", tmp_path, env, expect_success=False))
    every_row = run_dbt([*selected, "--vars", "{test_all_rows: true}"], "local", tmp_path, env, expect_success=False)
    assert failing_tests(every_row) == {test_name}
    break_one_row(first_rewritten)
    assert failing_tests(run_dbt(selected, "local", tmp_path, env, expect_success=False)) == {test_name}


def test_the_ledger_is_resolved_once_and_rerunning_a_ledger_model_alone_changes_nothing(history, tmp_path):
    """Both ledger models read one resolution (int_ledger_resolved) of one window: re-running either alone
    re-applies that window under its watermark. A first build of one alone would read a daily window
    (not the history) and fails, naming what to select instead."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(history["daily_copy"], db)
    env = {"INVENTORY_DUCKDB_PATH": str(db)}
    window = query(db, """SELECT restated_from, is_full_history FROM silver.int_ledger_restate_window
                          ORDER BY build_id DESC LIMIT 1""")
    assert window[0][0] is not None and not window[0][1]  # the last run was a daily window
    assert query(db, "SELECT min(event_date) FROM silver.int_ledger_resolved") >= [(window[0][0],)]
    before = ledger(db), rejects(db)
    run_dbt(["run", "--select", "fct_inventory_transactions", "transaction_rejects"], "local", tmp_path, env)
    assert (ledger(db), rejects(db)) == before  # watermark included
    refused = run_dbt(["run", "--full-refresh", "--select", "fct_inventory_transactions"], "local", tmp_path, env,
                      expect_success=False)
    assert [r["status"] for r in refused] == ["error"]
    assert "holds only the days of its last window" in refused[0]["message"]
    assert ledger(db) == before[0]
