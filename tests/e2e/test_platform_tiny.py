"""End to end at `tiny` scale: simulate, materialize every asset through Dagster on a real DuckDB file,
run every check, then prove the Gold numbers against an independent pandas computation."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from inventory_platform.cli import main as cli
from inventory_platform.lib.writer_lock import lock_path
from inventory_platform.orchestration.materialize import materialize_everything
from inventory_platform.reporting.yoy import Filters, change_over_years, group_names, yoy_trend
from inventory_platform.serving.gold_reader import gold_query, published_info
from inventory_platform.settings import load_settings
from inventory_platform.simulation import simulate
from tests.support.fixed_history import FIXED_HISTORY_FRESHNESS_ENV

from .independent_valuation import expected_gold_cells, expected_monthly_totals

pytestmark = pytest.mark.e2e
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    root = tmp_path_factory.mktemp("platform")
    env = pytest.MonkeyPatch()
    for var, value in {
        "INVENTORY_ENV": "local",
        "INVENTORY_DATA_DIR": str(root / "data"),
        "INVENTORY_DUCKDB_PATH": str(root / "data" / "warehouse.duckdb"),
        "INVENTORY_LANDING_DIR": str(root / "data" / "landing"),
        "INVENTORY_QUARANTINE_DIR": str(root / "data" / "quarantine"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        **FIXED_HISTORY_FRESHNESS_ENV,  # the 2022-2025 history the assertions below name
    }.items():
        env.setenv(var, value)
    settings = load_settings()
    simulate("tiny", 11, settings.landing_dir, progress=False)

    from inventory_platform.definitions import build_defs

    defs = build_defs(settings)
    instance = dg.DagsterInstance.ephemeral()
    summaries = materialize_everything(defs, instance, settings.landing_dir)
    yield {"settings": settings, "defs": defs, "instance": instance, "summaries": summaries}
    instance.dispose()
    env.undo()


def query(settings, sql: str, params=None):
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def table_counts(settings) -> dict[str, int]:
    tables = query(settings, "SELECT schema_name, table_name FROM duckdb_tables() "
                             "WHERE schema_name IN ('bronze', 'silver', 'gold') ORDER BY 1, 2")
    return {f"{s}.{t}": query(settings, f'SELECT count(*) FROM "{s}"."{t}"')[0][0] for s, t in tables}


def test_every_run_succeeds_and_every_check_passes(platform):
    summaries = platform["summaries"]
    assert [s.job for s in summaries] == ["load_reference_data", "load_inventory_transactions", "build_silver_gold",
                                          "check_cold_tier"]
    assert all(s.success for s in summaries)
    assert [c for s in summaries for c in s.failed_checks] == []
    repo = platform["defs"].get_repository_def()
    # dbt tests, Bronze checks, source freshness and the cold tier's checks; checks on assets loaded outside
    # Dagster (CDC lag, disk usage) are evaluated by their sensors and proven by their own tests.
    graph = repo.asset_graph
    every_check = {k for k in graph.asset_check_keys if graph.get(k.asset_key).is_materializable}
    evaluated = {c for s in summaries for c in s.checks}
    expected = {f"{k.asset_key.to_user_string()}:{k.name}" for k in every_check}
    assert expected == evaluated, f"checks never evaluated: {expected - evaluated}"


def test_after_materialize_every_check_was_evaluated_or_says_when_it_is(platform):
    """What the catalog shows after `make demo`: no "Not Evaluated" check without a reason, and the runs under
    the code location (the Overview timeline leaves out runs without one)."""
    instance, graph = platform["instance"], platform["defs"].resolve_asset_graph()
    executed = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(graph.asset_check_keys))
    unexplained = sorted(k.to_user_string() for k in graph.asset_check_keys - set(executed)
                         if not (graph.get_check_spec(k).description or "").startswith("Evaluated only"))
    assert not unexplained, f"Not Evaluated, with no reason given: {unexplained}"
    for summary in platform["summaries"]:
        run = instance.get_run_by_id(summary.run_id)
        assert run.remote_job_origin is not None, f"run of {summary.job} has no code location"
        assert (run.remote_job_origin.location_name, run.remote_job_origin.job_name) == ("inventory_platform",
                                                                                         summary.job)


def test_every_landed_row_reaches_bronze_and_the_ledger(platform):
    settings = platform["settings"]
    manifest = json.loads((settings.landing_dir / "manifest.json").read_text())
    landed = sum(f["rows"] for f in manifest["files"] if f["table"] == "inventory_transactions")
    assert query(settings, "SELECT count(*) FROM bronze.inventory_transactions")[0][0] == landed
    assert query(settings, "SELECT count(*) FROM silver.fct_inventory_transactions")[0][0] == landed
    assert query(settings, "SELECT count(*) FROM silver.transaction_rejects")[0][0] == 0


def test_gold_cells_match_independent_computation_to_the_cent(platform):
    settings = platform["settings"]
    expected = expected_gold_cells(settings.landing_dir)
    gold = pd.DataFrame(
        query(settings, "SELECT month_end_date, warehouse_id, category_code, quantity_on_hand, value_usd, "
                        "value_constant_currency_usd FROM gold.gold_inventory_value_monthly "
                        "WHERE quantity_on_hand <> 0 OR value_usd <> 0"),
        columns=["month_end", "warehouse_id", "category_code", "quantity", "value_usd", "value_cc"])
    gold["month_end"] = pd.to_datetime(gold["month_end"])
    expected = expected[(expected["quantity"] != 0) | (expected["value_usd"] != 0)]
    key = ["month_end", "warehouse_id", "category_code"]
    merged = expected.merge(gold, on=key, how="outer", suffixes=("_expected", "_gold"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head(10).to_string()
    assert len(merged) > 1000
    assert (merged["quantity_expected"] == merged["quantity_gold"]).all()
    assert (merged["value_usd_expected"] == merged["value_usd_gold"]).all()
    cc = merged.dropna(subset=["value_cc_expected"])
    assert len(cc) > len(merged) / 2
    assert (cc["value_cc_expected"] == cc["value_cc_gold"]).all()
    assert merged["value_cc_gold"].isna().sum() == merged["value_cc_expected"].isna().sum()


def test_yoy_report_json_has_36_months_matching_independent_totals(platform):
    settings = platform["settings"]
    result = CliRunner().invoke(cli, ["report", "yoy", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 36
    months = [pd.Timestamp(r["month_end_date"]) for r in rows]
    assert months == sorted(months) and months[-1] == pd.Timestamp("2025-12-31")
    assert months[0] == pd.Timestamp("2023-01-31")

    totals = expected_monthly_totals(expected_gold_cells(settings.landing_dir))
    for row, month in zip(rows, months, strict=True):
        want = totals[month]
        assert Decimal(str(row["value_usd"])).quantize(CENT) == want["value_usd"], month
        assert Decimal(str(row["prior_year_value_usd"])).quantize(CENT) == want["prior_year_value_usd"], month
        assert Decimal(str(row["value_constant_currency_usd"])).quantize(CENT) == want["value_cc"], month
        expected_pct = float((want["value_usd"] - want["prior_year_value_usd"]) / want["prior_year_value_usd"] * 100)
        assert row["yoy_pct"] == pytest.approx(expected_pct, abs=0.006)


def test_published_gold_is_the_last_builds_gold(platform):
    settings = platform["settings"]
    [build] = [s for s in platform["summaries"] if s.job == "build_silver_gold"]
    with gold_query(settings) as read:
        info = published_info(settings, read)
        assert info["build_id"] == build.run_id
        assert set(info["row_counts"]) == {"gold_inventory_value_by_region", "gold_inventory_value_monthly",
                                           "gold_inventory_value_trend", "gold_unvalued_stock_monthly"}
        for table, rows in info["row_counts"].items():
            fingerprint = f"SELECT count(*), sum(hash(t)) FROM gold.{table} AS t"
            assert read(fingerprint) == query(settings, fingerprint) and read(fingerprint)[0][0] == rows, table


def test_filtered_trend_sums_cells_exactly_as_the_gold_roll_ups_do(platform):
    """The dashboard's filters sum gold_inventory_value_monthly per month in reporting/yoy.py; dbt's roll-ups
    are the reference: every region selected is the company total, one region is by_region's row, one
    category is the trend's category scope, field for field."""
    settings = platform["settings"]
    with gold_query(settings) as read:
        total = yoy_trend(read)
        assert yoy_trend(read, filters=Filters(regions=("NA", "EU", "APAC"))) == total and len(total) == 36
        by_region = yoy_trend(read, by="region")
        for region in ("EU", "APAC"):
            picked = yoy_trend(read, filters=Filters(regions=(region,)))
            assert [replace(r, group=region) for r in picked] == [r for r in by_region if r.group == region]
        by_category = yoy_trend(read, by="category")
        category = by_category[0].group
        picked = yoy_trend(read, by="category", filters=Filters(categories=(category,)))
        assert picked == [r for r in by_category if r.group == category]
        assert yoy_trend(read, filters=Filters(warehouses=("WH-NOPE",))) == []
        names = group_names(read, "category")
        assert names[category] and names[category] != category

        change = change_over_years(read, 3)
    totals = expected_monthly_totals(expected_gold_cells(settings.landing_dir))
    latest, base = pd.Timestamp("2025-12-31"), pd.Timestamp("2022-12-31")
    assert (change.month_end_date, change.base_month_end_date) == (latest.date(), base.date())
    assert change.value_usd == totals[latest]["value_usd"] and change.base_value_usd == totals[base]["value_usd"]


def test_gold_reads_answer_during_a_materialize(platform):
    """`report yoy` in other processes, again and again while build_silver_gold rewrites the warehouse: each
    answers within seconds with the same numbers, while the writer holds the warehouse."""
    settings = platform["settings"]
    lock = lock_path(settings.duckdb_path)
    expected = json.loads(CliRunner().invoke(cli, ["report", "yoy", "--format", "json"]).output)
    reads, done = [], threading.Event()

    def writer_holds() -> bool:
        with lock.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False

    def read_repeatedly() -> None:
        while not done.is_set():
            if not writer_holds():
                time.sleep(0.05)
                continue
            started = time.monotonic()
            out = subprocess.run([sys.executable, "-m", "inventory_platform.cli", "report", "yoy", "--format", "json"],
                                 capture_output=True, text=True, timeout=120)
            reads.append((time.monotonic() - started, writer_holds(), out))

    reader = threading.Thread(target=read_repeatedly)
    reader.start()
    try:
        [summary] = materialize_everything(platform["defs"], platform["instance"], settings.landing_dir,
                                           ["build_silver_gold"])
    finally:
        done.set()
        reader.join()
    assert summary.success and not summary.failed_checks
    during = [r for r in reads if r[1]]  # the writer still held the warehouse when the read had its answer
    assert len(during) >= 3, [(round(s, 2), held) for s, held, _ in reads]
    for seconds, _held, out in reads:
        assert out.returncode == 0 and json.loads(out.stdout) == expected, out.stderr
        assert seconds < 10, seconds


def test_report_by_region_and_category_adds_up_to_total(platform):
    runner = CliRunner()
    by = {g: json.loads(runner.invoke(cli, ["report", "yoy", "--by", g, "--format", "json"]).output)
          for g in ("total", "region", "category")}
    total = {r["month_end_date"]: Decimal(str(r["value_usd"])) for r in by["total"]}
    for grouping in ("region", "category"):
        sums: dict[str, Decimal] = {}
        for r in by[grouping]:
            sums[r["month_end_date"]] = sums.get(r["month_end_date"], Decimal(0)) + Decimal(str(r["value_usd"]))
        assert {m: v.quantize(CENT) for m, v in sums.items()} == {m: v.quantize(CENT) for m, v in total.items()}
    assert {r["group"] for r in by["region"]} == {"NA", "EU", "APAC"}


def test_benchmark_raw_yoy_query_from_bronze_equals_gold(platform):
    """The benchmark's raw-transactions YoY query (bench/raw_yoy.py) answers the executive question with the
    same numbers as Gold, so its timing is the timing of a correct query. Runs before the tests below add
    resent and late rows (the raw query sums the ledger as loaded)."""
    from inventory_platform.bench.yoy_queries import as_tuples, differences, gold_answer, raw_answer

    con = duckdb.connect(str(platform["settings"].duckdb_path), read_only=True)
    try:
        gold = as_tuples(gold_answer(lambda sql: con.execute(sql).fetchall()))
        raw = raw_answer(con)
    finally:
        con.close()
    scopes = {r[1] for r in gold}
    assert "TOTAL" in scopes and len(scopes) > 10 and len({r[0] for r in gold}) == 36
    assert differences(gold, raw) == []
    # The comparison notices a single cent.
    month, scope, value, *rest = raw[-1]
    assert differences(gold, raw[:-1] + [(month, scope, value + Decimal("0.01"), *rest)]) != []


def test_materializing_again_adds_nothing_anywhere(platform):
    settings = platform["settings"]
    before = table_counts(settings)
    again = materialize_everything(platform["defs"], platform["instance"], settings.landing_dir)
    assert all(s.success and not s.failed_checks for s in again)
    after = table_counts(settings)
    # The resolved ledger (a view on DuckDB, not a table) covers the latest ledger window: no day when nothing was new.
    assert "silver.int_ledger_resolved" not in after
    assert query(settings, "SELECT count(*) FROM silver.int_ledger_resolved") == [(0,)]
    # The pass logs record the one invocation (an empty window, applied), and nothing else grew.
    for log in ("silver.int_ledger_restate_window", "silver.int_ledger_chunk_done"):
        assert after.pop(log) == before.pop(log) + 1, log
    assert after == before


def gold_cells(settings) -> dict[tuple, tuple]:
    rows = query(settings, "SELECT * FROM gold.gold_inventory_value_monthly")
    return {(r[0], r[2], r[6]): r for r in rows}  # month_end_date, warehouse_id, category_code


def independent_cells(landing: Path) -> dict[tuple, tuple]:
    cells = expected_gold_cells(landing)
    return {(m.date(), w, c): (q, v, cc) for m, w, c, q, v, cc, _unvalued in cells.itertuples(index=False)}


def test_the_snapshot_is_lean_and_written_in_month_warehouse_sku_order(platform):
    """The stored snapshot holds integer keys and measures only (names, currency, cost, rate and USD are in
    its detail view), in (month end, warehouse, SKU) order: DuckDB compresses what it stores in that order."""
    settings = platform["settings"]
    columns = dict(query(settings, """SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = 'silver' AND table_name = 'fct_inventory_snapshot_month_end'"""))
    assert not [c for c, t in columns.items() if t == "VARCHAR"]
    assert not {"value_usd", "month_end_usd_per_unit", "month_key", "unit_cost_local"} & columns.keys()
    stored = query(settings, "SELECT month_end_date, warehouse_entity_key, sku_entity_key "
                             "FROM silver.fct_inventory_snapshot_month_end ORDER BY rowid")
    assert stored == sorted(stored) and len(stored) > 1000
    # the detail view gives every row back, with the names
    assert query(settings, "SELECT count(*), count(warehouse_id), count(sku_id), count(currency_code) "
                           "FROM silver.fct_inventory_snapshot_month_end_detail") == [(len(stored),) * 4]


def test_late_transaction_restates_its_month_and_later_months_only(platform):
    """A movement dated in an already-built month lands after the build, in its own (old) date= folder.
    The next materialize restates that month and every later month and nothing earlier; the change in
    every Gold cell equals the change an independent computation over the landing files sees."""
    settings = platform["settings"]
    day = settings.landing_dir / "inventory_transactions" / "date=2024-03-14"
    expected_before = independent_cells(settings.landing_dir)
    # the wide view in the old table's column order: warehouse_id, ..., sku_id, ..., month_end_date (5), ..., quantity (7)
    snapshot_sql = """SELECT warehouse_id, warehouse_key, sku_id, product_key, category_code, month_end_date, month_key,
                             quantity_on_hand, net_movement_quantity, movement_count, currency_code, unit_cost_local,
                             value_local, month_end_usd_per_unit, value_usd, bronze_loaded_through, build_id
                      FROM silver.fct_inventory_snapshot_month_end_detail ORDER BY ALL"""
    snapshot_before, gold_before = query(settings, snapshot_sql), gold_cells(settings)

    existing = pq.read_table(next(day.glob("*.parquet")))
    late = existing.slice(0, 1).to_pylist()[0] | {
        "transaction_id": 990_000_001, "movement_type": "ADJUSTMENT", "quantity": 7, "reference_id": "LATE-0001"}
    pq.write_table(pa.Table.from_pylist([late], schema=existing.schema), day / "late-0001.parquet")

    again = materialize_everything(platform["defs"], platform["instance"], settings.landing_dir)
    assert all(s.success and not s.failed_checks for s in again)
    assert query(settings, "SELECT count(*) FROM bronze.inventory_transactions WHERE transaction_id = 990000001") == [(1,)]

    march = pd.Timestamp("2024-03-31").date()
    snapshot_after, gold_after = query(settings, snapshot_sql), gold_cells(settings)
    assert [r for r in snapshot_after if r[5] < march] == [r for r in snapshot_before if r[5] < march]
    assert {k: v for k, v in gold_after.items() if k[0] < march} == {k: v for k, v in gold_before.items() if k[0] < march}

    pair_rows = {r[5]: r[7] for r in snapshot_after if (r[0], r[2]) == (late["warehouse_id"], late["sku_id"])}
    pair_before = {r[5]: r[7] for r in snapshot_before if (r[0], r[2]) == (late["warehouse_id"], late["sku_id"])}
    assert {m: pair_rows[m] - pair_before.get(m, 0) for m in pair_rows if m >= march} == {
        m: 7 for m in pair_rows if m >= march}

    # Gold cells whose quantity or value changed are exactly those the independent computation moves.
    expected_after = independent_cells(settings.landing_dir)
    changed_expected = {k for k in expected_after.keys() | expected_before.keys()
                        if expected_after.get(k) != expected_before.get(k)}

    def measures(row):  # quantity_on_hand, value_usd, value_constant_currency_usd
        return (row[9], row[11], row[12]) if row else None

    changed_gold = {k for k in gold_after.keys() | gold_before.keys()
                    if measures(gold_after.get(k)) != measures(gold_before.get(k))}
    assert changed_gold == changed_expected and changed_gold
    assert min(k[0] for k in changed_gold) == march
    for key in changed_gold:
        assert measures(gold_after[key]) == expected_after[key], key


def test_bad_landing_file_is_quarantined_and_nothing_else_is_affected(platform):
    """Runs last: lands one good and one broken new day, then reloads through the Dagster asset."""
    settings = platform["settings"]
    days = sorted((settings.landing_dir / "inventory_transactions").glob("date=*"))
    source = pq.read_table(next(days[-1].glob("*.parquet")))
    good_day = settings.landing_dir / "inventory_transactions" / "date=2026-01-01"
    bad_day = settings.landing_dir / "inventory_transactions" / "date=2026-01-02"
    good_day.mkdir()
    bad_day.mkdir()
    shifted = source.set_column(0, "transaction_id", pc.add(source.column("transaction_id"), 10_000_000))
    shifted = shifted.set_column(1, "event_ts", pc.add(source.column("event_ts"), pa.scalar(timedelta(days=1))))
    pq.write_table(shifted, good_day / "part-00000.parquet")
    pq.write_table(source.rename_columns([("qty" if n == "quantity" else n) for n in source.column_names]),
                   bad_day / "part-00000.parquet")
    before = query(settings, "SELECT count(*) FROM bronze.inventory_transactions")[0][0]

    from inventory_platform.dagster_adapter import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG

    result = platform["defs"].resolve_job_def("load_inventory_transactions").execute_in_process(
        instance=platform["instance"], raise_on_error=False,
        tags={PARTITION_RANGE_START_TAG: "2026-01-01", PARTITION_RANGE_END_TAG: "2026-01-02"})
    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    check = checks["no_unresolved_quarantined_files"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    listing = check.metadata["quarantined_files"].value
    assert "date=2026-01-02" in listing and "column quantity" in listing and "missing column(s) quantity" in listing
    assert f"{source.num_rows:,} rows not loaded" in listing
    assert checks["every_landed_file_accounted_for"].passed  # loaded or quarantined: every file accounted for
    after = query(settings, "SELECT count(*) FROM bronze.inventory_transactions")[0][0]
    assert after - before == source.num_rows
    assert query(settings, "SELECT count(*) FROM bronze.inventory_transactions WHERE _source_file LIKE ?",
                 ["%date=2026-01-02%"])[0][0] == 0
    reasons = list((settings.quarantine_dir / "inventory_transactions").rglob("*.reason.txt"))
    assert len(reasons) == 1 and "missing column(s) quantity" in reasons[0].read_text()
    shutil.rmtree(bad_day)
