"""The bench's daily-increment ratio compares like increments: the short history is a separate simulation of
the period's last tenth, so both histories take their increment on the same calendar day. The platform runs
are replaced by stand-ins (the landing files are simulated for real): what is tested is which days the bench
builds and increments, not the platform."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from inventory_platform.bench import platform_builds
from inventory_platform.bench.bench_data import BenchData
from inventory_platform.bench.child_process import Measured
from inventory_platform.bench.commands import QUICK_HISTORY_START, _warehouse_sections
from inventory_platform.landing_contract import INVENTORY_TRANSACTIONS
from inventory_platform.simulation import simulate
from inventory_platform.simulation.timeline import DEFAULT_END


def _history_days(data: BenchData) -> int:
    """Days of the history that takes the increment: the simulation's days but its last."""
    return (DEFAULT_END - data.start).days


@pytest.mark.parametrize("start, short_start", [(None, date(2025, 8, 7)), (QUICK_HISTORY_START, date(2025, 11, 19))])
def test_the_short_history_is_the_last_tenth_of_the_period(tmp_path, start, short_start):
    data = BenchData("full", base=tmp_path, start=start)
    short = data.shorter()
    assert short.start == short_start and (short.scale, short.seed) == (data.scale, data.seed)
    assert short.root == tmp_path / f"full-seed42-from{short_start}"  # its own landing zone and histories
    assert _history_days(data) / _history_days(short) == pytest.approx(10, abs=0.2)


def _platform(calls: list[list[str]]):
    def run(args: list[str], env: dict[str, str], log: Path):
        calls.append(args)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("")
        if args[0] == "simulate":
            scale, seed, start, out = args[1:]
            manifest = simulate(scale, int(seed), Path(out), start=date.fromisoformat(start), progress=False)
            return Measured(2.0, 80.0, 0, log), {"rows": sum(f["rows"] for f in manifest["files"]),
                                                 "files": len(manifest["files"])}
        with duckdb.connect(env["INVENTORY_DUCKDB_PATH"]) as con:
            if args[0] == "full":
                con.execute("create schema bronze; create schema silver; create schema gold")
                con.execute("create table bronze.inventory_transactions (event_ts timestamp)")
                con.execute("create table silver.fct_inventory_transactions (event_date date)")
                con.execute("create table gold.gold_inventory_value_monthly as select date '2025-11-30' as month_end_date")
                return Measured(10.0, 100.0, 0, log), {"load_definitions_s": 1.0, "runs": []}
            day_files = Path(env["INVENTORY_LANDING_DIR"]) / INVENTORY_TRANSACTIONS.name / f"date={args[1]}" / "*.parquet"
            con.execute("insert into bronze.inventory_transactions select event_ts from read_parquet(?)", [str(day_files)])
            con.execute("insert into silver.fct_inventory_transactions "
                        "select cast(event_ts as date) from bronze.inventory_transactions")
        return Measured(3.0, 50.0, 0, log), {"load_definitions_s": 0.5, "runs": [{"seconds": 2.0, "checks": 7}]}
    return run


def test_both_increments_load_the_same_calendar_day(tmp_path, monkeypatch):
    monkeypatch.setenv("INVENTORY_BENCH_DIR", str(tmp_path))
    calls = []
    monkeypatch.setattr(platform_builds, "_platform_run", _platform(calls))
    sections = list(_warehouse_sections(["daily_increment"], "tiny", quick=True, rebuild=False, explain=False,
                                        out_dir=None, reused={}))
    assert [name for name, _, _ in sections] == ["daily_increment"]
    results = sections[0][2]
    short, long = results["histories"]
    assert short["day"] == long["day"] == "2025-12-31" and calls.count(["daily", "2025-12-31"]) == 2
    assert short["history_first_day"] == "2025-11-19" and long["history_first_day"] == str(QUICK_HISTORY_START)
    assert long["history_days"] / short["history_days"] == pytest.approx(10, abs=0.2)
    # the same day of the same expected volume: the short simulation's is not smaller for starting later
    assert short["day_rows"] == pytest.approx(long["day_rows"], rel=0.3)
    assert long["history_ledger_rows"] > 5 * short["history_ledger_rows"] > 0
    assert results["short_simulation"]["start"] == "2025-11-19" and results["short_simulation"]["wall_s"] == 2.0

    # a second bench run reuses both landing zones and both warehouses
    calls.clear()
    again = list(_warehouse_sections(["daily_increment"], "tiny", quick=True, rebuild=False, explain=False,
                                     out_dir=None, reused={}))[0][2]
    assert calls == [["daily", "2025-12-31"]] * 2
    assert again["short_simulation"]["reused_from_cache"] is True
    assert [h["day_rows"] for h in again["histories"]] == [short["day_rows"], long["day_rows"]]
