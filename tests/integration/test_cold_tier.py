"""The cold tier at tiny scale (4 years of history, 36 months kept hot): the offload job moves the oldest
months to Parquet and the hot ∪ cold view answers exactly as the hot ledger did before; a re-run moves
nothing; a failure anywhere between writing Parquet and deleting hot rows loses nothing and counts
nothing twice; tampered cold files fail the check; a full refresh of the ledger from the shrunk Bronze
neither re-hydrates nor loses offloaded rows; the month-end snapshot rebuilt over the view is unchanged."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from inventory_platform.cold_tier import offload as offload_module
from inventory_platform.cold_tier.assets import COLD_TIER_KEY, FILES_MATCH_CHECK, build_cold_tier_checks
from inventory_platform.cold_tier.jobs import JOB_NAME
from inventory_platform.cold_tier.layout import BRONZE_LEDGER, LEDGER, MANIFEST, cold_files
from inventory_platform.cold_tier.offload import OffloadVerificationError, offload
from inventory_platform.cold_tier.reconcile import cold_mismatches
from inventory_platform.lib.duckdb_warehouse import connect_duckdb

from ..support.dbt_runner import run_dbt
from ..support.tiny_bronze import build_tiny_bronze

UNION = "silver.fct_inventory_transactions_all_history"
HOT = "silver.fct_inventory_transactions"
SNAPSHOT = "silver.fct_inventory_snapshot_month_end"
# Per month: rows, quantity, value, and a fingerprint of every row's content.
MONTHLY = """
    select year(event_date) as y, month(event_date) as m, count(*), sum(quantity), sum(extended_value_local),
           bit_xor(hash(transaction_id, event_ts, warehouse_key, product_key, movement_type, quantity, transfer_id,
                        extended_value_local, load_file_key, source_row, source_lsn))
    from {relation} group by all order by all"""
# The same for the wide row the detail view joins back (dimensions, costs, hot and offloaded Bronze).
DETAIL = "silver.fct_inventory_transactions_detail"
DETAIL_MONTHLY = """
    select year(event_date) as y, month(event_date) as m, count(*), count(reference_id), count(unit_cost_local),
           bit_xor(hash(transaction_id, warehouse_id, sku_id, category_code, currency_code, unit_cost_local,
                        reference_id, source_file, source_batch_id, loaded_at, source_row))
    from {relation} group by all order by all"""


def query(path: Path, sql: str, params=None) -> list[tuple]:
    with connect_duckdb(path, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    """A tiny warehouse built by dbt, then a first, smaller offload (42 months hot: 2022-01 .. 2022-05 cold)
    and the view rebuilt over it (its snapshot was built before any offload)."""
    work = tmp_path_factory.mktemp("cold_base")
    data = work / "base"
    path = build_tiny_bronze(data, seed=7)
    env = {"INVENTORY_DUCKDB_PATH": str(path), "INVENTORY_COLD_DIR": str(data / "cold")}
    run_dbt(["run"], "local", work, env)
    hot_before_any_offload = query(path, MONTHLY.format(relation=HOT))
    detail_before_any_offload = query(path, DETAIL_MONTHLY.format(relation=DETAIL))
    with connect_duckdb(path) as con:
        first = offload(con, data / "cold", 42)
    assert first.months == [f"2022-{m:02d}" for m in range(1, 6)]
    run_dbt(["build", "--select", "fct_inventory_transactions_all_history"], "local", work, env)
    assert query(path, MONTHLY.format(relation=UNION)) == hot_before_any_offload
    # offloaded months keep their reference ids and source files: Bronze's offloaded files are read too
    assert query(path, DETAIL_MONTHLY.format(relation=DETAIL)) == detail_before_any_offload
    # The landing folder stays: Bronze reads the loaded files in place (bronze/in_place.py).
    shutil.copytree(data, work / "pristine")
    return {"data": data, "pristine": work / "pristine", "before": hot_before_any_offload}


@pytest.fixture
def platform(base, tmp_path, monkeypatch):
    """The base warehouse and cold tier, settings pointing at them; restored after the test. (In place:
    the view names the cold folder's absolute path.)"""
    data = base["data"]
    for var, value in {"INVENTORY_ENV": "local", "INVENTORY_DATA_DIR": str(data),
                       "INVENTORY_DUCKDB_PATH": str(data / "warehouse.duckdb"),
                       "INVENTORY_COLD_DIR": str(data / "cold"), "DAGSTER_HOME": str(tmp_path / "dagster_home"),
                       "INVENTORY_DR_DIR": str(tmp_path / "dr")}.items():
        monkeypatch.setenv(var, value)
    from inventory_platform.definitions import build_defs
    from inventory_platform.settings import load_settings

    settings = load_settings()
    instance = dg.DagsterInstance.ephemeral()
    yield {"settings": settings, "defs": build_defs(settings), "instance": instance, "before": base["before"],
           "work": tmp_path}
    instance.dispose()
    shutil.rmtree(data)
    shutil.copytree(base["pristine"], data)


def run_job(platform) -> dg.ExecuteInProcessResult:
    result = platform["defs"].resolve_job_def(JOB_NAME).execute_in_process(instance=platform["instance"],
                                                                         raise_on_error=False)
    assert result.success
    return result


def offload_metadata(result: dg.ExecuteInProcessResult) -> dict:
    [event] = result.asset_materializations_for_node("ops__cold_tier_offload")
    return {k: v.value for k, v in event.metadata.items()}


def checks(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def served(path: Path) -> list[tuple]:
    return query(path, MONTHLY.format(relation=UNION))


def test_offload_keeps_every_month_identical_through_the_view_and_a_rerun_is_a_no_op(platform):
    settings, before = platform["settings"], platform["before"]
    bronze_before = query(settings.duckdb_path, "select count(*) from bronze.inventory_transactions")[0][0]
    offloaded_before = query(settings.duckdb_path, "select count(*) from bronze.inventory_transactions_offloaded")[0][0]
    first = run_job(platform)
    meta = offload_metadata(first)
    assert meta["cutoff_date"] == "2022-12-01"  # tiny history: 2022-01-01 .. 2025-12-31
    assert meta["ledger_rows_offloaded"] > 30_000 and meta["months"].startswith("2022-06")
    # the cold tier's own checks, and the view's (hot + cold), which the offload rebuilds
    assert checks(first) == {FILES_MATCH_CHECK: True, "no_hot_rows_in_closed_months": True,
                             "cold_tier_union_matches_manifest": True, "transfers_balance_across_warehouses": True}

    assert served(settings.duckdb_path) == before  # counts, sums and row contents per month
    hot_old = query(settings.duckdb_path, f"select count(*) from {HOT} where event_date < date '2022-12-01'")
    assert hot_old == [(0,)]
    bronze_after = query(settings.duckdb_path, "select count(*) from bronze.inventory_transactions")[0][0]
    assert bronze_before - bronze_after == meta["bronze_rows_offloaded"] > 0
    files = cold_files(settings.cold_dir, LEDGER)
    assert {f.parent.relative_to(settings.cold_dir / LEDGER).as_posix() for f in files} == {
        f"year=2022/month={m}" for m in range(1, 12)}
    # Bronze is the landed Parquet, not copied again: its files of offloaded days move to the offloaded view.
    assert not cold_files(settings.cold_dir, BRONZE_LEDGER)
    offloaded = query(settings.duckdb_path, "select count(*), max(event_ts) from bronze.inventory_transactions_offloaded")
    assert offloaded[0][0] - offloaded_before == meta["bronze_rows_offloaded"] and offloaded[0][1] < datetime(2022, 12, 1)

    manifest = query(settings.duckdb_path, f"select * from {MANIFEST} order by all")
    again = platform["defs"].resolve_job_def(JOB_NAME).execute_in_process(
        instance=platform["instance"], asset_selection=[COLD_TIER_KEY])
    assert offload_metadata(again)["ledger_rows_offloaded"] == 0
    assert offload_metadata(again)["hot_rows_deleted"] == 0
    assert cold_files(settings.cold_dir, LEDGER) == files
    assert query(settings.duckdb_path, f"select * from {MANIFEST} order by all") == manifest
    assert served(settings.duckdb_path) == before


def test_a_crash_between_moving_files_and_deleting_hot_rows_loses_and_doubles_nothing(platform, monkeypatch):
    settings, before = platform["settings"], platform["before"]

    def crash(*args, **kwargs):
        raise RuntimeError("killed after the files were moved, before the hot rows were deleted")

    with monkeypatch.context() as patch, connect_duckdb(settings.duckdb_path) as con:
        patch.setattr(offload_module, "commit_offload", crash)
        with pytest.raises(RuntimeError, match="killed"):
            offload(con, settings.cold_dir, 36)
    moved = [f for f in cold_files(settings.cold_dir, LEDGER) if "month=6" in str(f)]
    assert moved, "the crashed run's files are in place"
    assert served(settings.duckdb_path) == before  # uncommitted files are not read; hot rows still there

    with connect_duckdb(settings.duckdb_path) as con:
        result = offload(con, settings.cold_dir, 36)
        assert result.orphan_files_removed > 0 and result.months[0] == "2022-06"
        assert cold_mismatches(con, settings.cold_dir) == []
    assert not any(f.exists() for f in moved)
    assert served(settings.duckdb_path) == before


def test_a_failure_inside_the_delete_transaction_rolls_it_back(platform, monkeypatch):
    settings, before = platform["settings"], platform["before"]
    hot_before = query(settings.duckdb_path, MONTHLY.format(relation=HOT))
    manifest = query(settings.duckdb_path, f"select * from {MANIFEST} order by all")
    real_execute_count = {"n": 0}
    original = offload_module.commit_offload

    def failing_commit(con, *args, **kwargs):
        class Breaking:  # the manifest inserts go through, then the hot delete fails
            def execute(self, sql, params=None):
                if sql.lstrip().startswith("delete"):
                    raise duckdb.IOException("disk full while deleting")
                real_execute_count["n"] += 1
                return con.execute(sql, params) if params is not None else con.execute(sql)
        return original(Breaking(), *args, **kwargs)

    with monkeypatch.context() as patch, connect_duckdb(settings.duckdb_path) as con:
        patch.setattr(offload_module, "commit_offload", failing_commit)
        with pytest.raises(duckdb.IOException, match="disk full"):
            offload(con, settings.cold_dir, 36)
    assert real_execute_count["n"] > 2  # manifest rows were inserted before the failure
    assert query(settings.duckdb_path, f"select * from {MANIFEST} order by all") == manifest
    assert query(settings.duckdb_path, MONTHLY.format(relation=HOT)) == hot_before
    assert served(settings.duckdb_path) == before
    with connect_duckdb(settings.duckdb_path) as con:  # the next run completes the offload
        assert offload(con, settings.cold_dir, 36).months[0] == "2022-06"
    assert served(settings.duckdb_path) == before


def test_staging_that_does_not_match_the_hot_rows_is_refused(platform, monkeypatch):
    settings, before = platform["settings"], platform["before"]
    files = cold_files(settings.cold_dir, LEDGER)
    hot_before = query(settings.duckdb_path, MONTHLY.format(relation=HOT))
    original = offload_module._write_staging

    def lossy_write(con, staging, offload_id):
        written = original(con, staging, offload_id)
        next((staging / LEDGER).glob("year=2022/month=8/*.parquet")).unlink()  # a file lost on the way
        return written

    with monkeypatch.context() as patch, connect_duckdb(settings.duckdb_path) as con:
        patch.setattr(offload_module, "_write_staging", lossy_write)
        with pytest.raises(OffloadVerificationError, match=r"\(2022, 8\)"):
            offload(con, settings.cold_dir, 36)
    assert cold_files(settings.cold_dir, LEDGER) == files
    assert query(settings.duckdb_path, MONTHLY.format(relation=HOT)) == hot_before
    assert served(settings.duckdb_path) == before


def failed_file_check(platform) -> str:
    result = dg.materialize([build_cold_tier_checks(platform["settings"]), dg.AssetSpec(COLD_TIER_KEY)],
                            instance=platform["instance"], raise_on_error=False,
                            selection=dg.AssetSelection.checks(dg.AssetCheckKey(COLD_TIER_KEY, FILES_MATCH_CHECK)))
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.check_name == FILES_MATCH_CHECK and not evaluation.passed
    return evaluation.description


def test_the_check_fails_when_cold_files_are_altered_or_lost(platform):
    settings = platform["settings"]
    with connect_duckdb(settings.duckdb_path) as con:
        offload(con, settings.cold_dir, 36)
        assert cold_mismatches(con, settings.cold_dir) == []
    files = {f.parent.name: f for f in cold_files(settings.cold_dir, LEDGER)}
    altered, lost = files["month=4"], files["month=7"]
    with duckdb.connect() as con:  # rewrite one file with one quantity changed, same schema
        con.execute(f"create table t as select * from read_parquet('{altered}')")
        con.execute("update t set quantity = quantity + 1 where transaction_id = (select min(transaction_id) from t)")
        con.execute(f"copy t to '{altered}' (format parquet)")
    description = failed_file_check(platform)
    assert "fct_inventory_transactions 2022-04" in description and "2022-07" not in description
    lost.unlink()
    description = failed_file_check(platform)
    assert "fct_inventory_transactions 2022-04" in description and "fct_inventory_transactions 2022-07" in description


def test_full_refresh_from_bronze_neither_rehydrates_nor_loses_and_the_snapshot_rebuilds_over_the_view(platform):
    """The interplay with the incremental ledger and snapshot (docs/architecture/cold_tier.md)."""
    settings, before, work = platform["settings"], platform["before"], platform["work"]
    snapshot_before = query(settings.duckdb_path, f"select * exclude (bronze_loaded_through, build_id) from {SNAPSHOT} order by all")
    with connect_duckdb(settings.duckdb_path) as con:
        offload(con, settings.cold_dir, 36)
    env = {"INVENTORY_DUCKDB_PATH": str(settings.duckdb_path), "INVENTORY_COLD_DIR": str(settings.cold_dir)}
    # The ledger rebuilds with its window (a lone fct rebuild is refused: int_ledger_resolved holds only the last window).
    run_dbt(["run", "--full-refresh", "--select", "int_ledger_restate_window", "int_ledger_resolved",
             "fct_inventory_transactions"], "local", work, env)
    assert query(settings.duckdb_path, f"select count(*) from {HOT} where event_date < date '2022-12-01'") == [(0,)]
    assert served(settings.duckdb_path) == before

    # The snapshot's movements read the view, so a full rebuild sees all history.
    run_dbt(["run", "--full-refresh", "--select", "fct_inventory_snapshot_month_end"], "local", work, env)
    snapshot_after = query(settings.duckdb_path, f"select * exclude (bronze_loaded_through, build_id) from {SNAPSHOT} order by all")
    assert snapshot_after == snapshot_before
    # The tests that read the ledger over all history still pass with most of 2022 in the cold tier.
    results = run_dbt(["test", "--select", "snapshot_reconciles_to_ledger", "transfers_balance_across_warehouses",
                       "cold_tier_union_matches_manifest"], "local", work, env)
    assert sorted((r["unique_id"].split(".")[2], r["status"]) for r in results) == [
        ("cold_tier_union_matches_manifest", "pass"), ("snapshot_reconciles_to_ledger", "pass"),
        ("transfers_balance_across_warehouses", "pass")]
