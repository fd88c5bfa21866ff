"""A bench full build interrupted midway is continued on the next bench run when its inputs are unchanged
(the hours already spent are kept), and started over when they changed. The platform run itself is replaced
here by a stand-in: what is tested is the bench's bookkeeping around it, not the platform's own resume."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest

from inventory_platform.bench import platform_builds
from inventory_platform.bench.bench_data import BenchData
from inventory_platform.bench.child_process import Measured
from inventory_platform.landing_contract import INVENTORY_TRANSACTIONS, MANIFEST_FILE, SOURCE_TABLES

DAY = date(2025, 1, 1)


@pytest.fixture
def data(tmp_path):
    data = BenchData("tiny", base=tmp_path)
    for table in SOURCE_TABLES.values():
        (data.landing / table.name).mkdir(parents=True, exist_ok=True)
    (data.landing / INVENTORY_TRANSACTIONS.name / f"date={DAY}").mkdir()
    (data.landing / MANIFEST_FILE).write_text(json.dumps({"scale": "tiny", "seed": data.seed, "start": str(data.start),
        "files": [{"path": f"{INVENTORY_TRANSACTIONS.name}/date={DAY}/part-0.parquet", "rows": 10}]}))
    return data


def _platform(outcomes: list[str], calls: list[dict]):
    def run(args, env, log):
        calls.append(args)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("")
        with duckdb.connect(env["INVENTORY_DUCKDB_PATH"]) as con:
            con.execute("create schema if not exists silver")
            con.execute("create table if not exists silver.fct_inventory_transactions as select 1 as attempt where false")
            con.execute("insert into silver.fct_inventory_transactions (attempt) values (?)", [len(calls)])
        if outcomes.pop(0) == "killed":
            raise platform_builds.BenchRunFailed("platform_run full failed (exit -9)")
        return Measured(12.5, 100.0, 0, log), {"load_definitions_s": 1.0, "runs": []}
    return run


def _attempts_in_warehouse(data) -> list[int]:
    with duckdb.connect(str(data.history(DAY).duckdb_path), read_only=True) as con:
        return [r[0] for r in con.execute("select attempt from silver.fct_inventory_transactions order by 1").fetchall()]


def test_an_interrupted_build_is_continued_not_restarted(data, monkeypatch):
    calls = []
    monkeypatch.setattr(platform_builds, "_platform_run", _platform(["killed", "done"], calls))
    with pytest.raises(platform_builds.BenchRunFailed):
        platform_builds.ensure_history(data, DAY)
    history, record = platform_builds.ensure_history(data, DAY)
    assert _attempts_in_warehouse(data) == [1, 2]  # the warehouse of attempt 1 was kept and continued
    assert record["resumed"] is True and record["earlier_attempts_not_timed"] == 1
    assert record["bytes_per_ledger_row"] == round(record["bytes_total"] / 10, 2)
    assert platform_builds.ensure_history(data, DAY)[1]["reused_from_cache"] is True
    assert len(calls) == 2


def test_an_interrupted_build_of_other_inputs_starts_over(data, monkeypatch):
    calls = []
    monkeypatch.setattr(platform_builds, "_platform_run", _platform(["killed", "done"], calls))
    with pytest.raises(platform_builds.BenchRunFailed):
        platform_builds.ensure_history(data, DAY)
    manifest = json.loads((data.landing / MANIFEST_FILE).read_text())
    manifest["files"][0]["rows"] = 11  # re-simulated landing files: the half-built warehouse is of the old ones
    (data.landing / MANIFEST_FILE).write_text(json.dumps(manifest))
    _, record = platform_builds.ensure_history(data, DAY)
    assert _attempts_in_warehouse(data) == [2]
    assert record["resumed"] is False and record["ledger_rows"] == 11


def test_a_warehouse_the_disk_cannot_copy_takes_its_increment_in_place_and_is_rebuilt_next_time(data, monkeypatch):
    """At `full` the warehouse (~30 GB) and a copy of it do not fit beside the landing zone: the long
    history's daily increment then runs on the warehouse itself, once, and the bench builds it again later."""
    next_day = date(2025, 1, 2)
    (data.landing / INVENTORY_TRANSACTIONS.name / f"date={next_day}").mkdir()
    manifest = json.loads((data.landing / MANIFEST_FILE).read_text())
    manifest["files"].append({"path": f"{INVENTORY_TRANSACTIONS.name}/date={next_day}/part-0.parquet", "rows": 4})
    (data.landing / MANIFEST_FILE).write_text(json.dumps(manifest))
    calls = []
    build = _platform(["done", "done"], calls)

    def run(args, env, log):
        if args[0] == "full":
            return build(args, env, log)
        calls.append(args)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("")
        assert (data.history(DAY).landing / INVENTORY_TRANSACTIONS.name / f"date={next_day}").exists()
        with duckdb.connect(env["INVENTORY_DUCKDB_PATH"]) as con:
            con.execute("create schema bronze; create schema gold")
            con.execute("create table bronze.inventory_transactions as select timestamp '2025-01-02 10:00' as event_ts "
                        "from range(4)")
            con.execute("create table gold.gold_inventory_value_monthly as select date '2025-01-31' as month_end_date")
            con.execute("alter table silver.fct_inventory_transactions add column event_date date")
            con.execute("insert into silver.fct_inventory_transactions (event_date) select date '2025-01-02' from range(4)")
        return Measured(3.0, 50.0, 0, log), {"load_definitions_s": 0.5, "runs": [{"seconds": 2.0, "checks": 7}]}

    monkeypatch.setattr(platform_builds, "_platform_run", run)
    history, _ = platform_builds.ensure_history(data, DAY)
    size = history.duckdb_path.stat().st_size
    free = platform_builds._copy_bytes(history) - 1
    monkeypatch.setattr(platform_builds.shutil, "disk_usage", lambda path: type("Usage", (), {"free": free})())
    result = platform_builds.measure_daily_increment(data, history, runs=3)
    assert result["in_place"] is True and result["runs"] == 1 and result["day_rows"] == 4
    assert calls == [["full"], ["daily", str(next_day)]]
    assert history.duckdb_path.stat().st_size >= size  # the increment went into the history's own warehouse
    with duckdb.connect(str(history.duckdb_path), read_only=True) as con:
        assert con.execute("select count(*) from bronze.inventory_transactions").fetchone()[0] == 4
    assert not history.is_built  # no longer exactly its days: the next bench builds it again, from empty
    _, record = platform_builds.ensure_history(data, DAY)
    assert calls[-1] == ["full"]
    assert _attempts_in_warehouse(data) == [3] and record["resumed"] is False
