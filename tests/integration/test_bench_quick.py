"""`inventory-platform bench --quick` runs end to end and reports measured numbers (no targets asserted:
speed is judged by `make bench` on a quiet machine, never by a timed test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def test_quick_bench_measures_every_section(tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "INVENTORY_BENCH_DIR": str(tmp_path / "bench-data")}
    proc = subprocess.run([sys.executable, "-m", "inventory_platform.cli", "bench", "--quick", "--explain",
                           "--out", str(out)], capture_output=True, text=True, timeout=1200, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads((out / "performance.json").read_text())
    load = results["load_definitions_s"]["results"]
    assert load["runs"] == 3 and 0 < load["min_s"] <= load["median_s"] < load["median_process_s"]
    assert load["assets"] > 20 and load["jobs"] > 5
    assert "code location load" in (out / "performance.md").read_text()
    handler = results["cdc_handler"]["results"]
    assert handler["events"] >= 10_000 and handler["median_events_per_s"] > 0
    lags = {r["rate_events_per_s"]: r for r in results["cdc_lag"]["results"]}
    assert set(lags) == {100, 2000}
    assert all(r["loaded"] == r["events"] > 0 and 0 <= r["lag_p50_s"] <= r["lag_p95_s"] for r in lags.values())

    tiny = {name: results[name]["by_scale"]["tiny"]["results"]
            for name in ("simulate", "full_build", "gold_yoy", "adhoc_fact_query", "raw_yoy", "cdc_refresh",
                         "materialize_overhead", "daily_increment", "bench_run")}
    simulated = tiny["simulate"]
    assert simulated["rows"] > 100_000 and simulated["wall_s"] > 0 and simulated["peak_rss_mb"] > 0
    assert simulated["resumed"] is False and simulated["landing_bytes"] > 0
    build = tiny["full_build"]
    assert build["ledger_rows"] > 100_000 and build["peak_rss_mb"] > 0 and build["resumed"] is False
    assert simulated["rows"] > build["ledger_rows"]  # the landing zone also holds the reference files' rows
    # the disk figure: the file and what lives beside it, per ledger row, with the tables that make it up
    assert build["bytes_total"] >= build["warehouse_file_bytes"] > 0
    assert build["bytes_per_ledger_row"] == round(build["bytes_total"] / build["ledger_rows"], 2)
    assert "silver.fct_inventory_transactions" in build["table_bytes"]
    assert 0 < sum(build["table_bytes"].values()) <= build["used_block_bytes"]
    assert build["landing_bytes_per_ledger_row"] > 0
    assert [r["job"] for r in build["runs"]] == ["load_reference_data", "load_inventory_transactions", "build_silver_gold",
                                                 "check_cold_tier"]
    gold = tiny["gold_yoy"]
    # --quick simulates 14 months: the latest 3 month ends have a prior year (the full run has 36)
    assert gold["months"] == 3 and gold["scopes"] > 1 and gold["rows_returned"] == 3 * gold["scopes"]
    assert 0 < gold["median_ms"] and gold["ledger_rows"] == build["ledger_rows"]
    adhoc = tiny["adhoc_fact_query"]
    assert adhoc["rows_returned"] > 0 and adhoc["fact_rows_read"] > 0 and adhoc["months"] == 14
    raw = tiny["raw_yoy"]
    assert raw["equals_gold"] is True and raw["rows_returned"] == gold["rows_returned"] and raw["median_s"] > 0
    refresh = tiny["cdc_refresh"]  # through `stream run` and `stream apply` on a copy of the built history
    assert refresh["rate_events_per_s"] == 2000 and refresh["events"] > 0 and refresh["refreshes"] >= 1
    assert refresh["gold_covered_events"] == refresh["bronze_events"] > 0.9 * refresh["events"]
    for hop in ("cdc_to_bronze_lag", "cdc_to_silver_lag", "cdc_to_gold_lag"):
        assert refresh[hop]["events"] > 0 and 0 < refresh[hop]["p50_s"] <= refresh[hop]["p95_s"] <= refresh[hop]["max_s"]
    assert refresh["cdc_to_bronze_lag"]["p50_s"] < refresh["cdc_to_gold_lag"]["p50_s"]
    materialize = tiny["materialize_overhead"]  # launched through dagster dev's GraphQL, as the UI does
    assert materialize["asset"] == "gold/gold_inventory_value_by_region" and len(materialize["samples"]) == 2
    for sample in materialize["samples"]:
        assert 0 < sample["sql_s"] < sample["run_s"] < sample["click_to_done_s"]
    assert materialize["median_overhead_s"] > 0
    short, long = tiny["daily_increment"]["histories"]
    assert 5 * short["history_ledger_rows"] < long["history_ledger_rows"]
    assert short["day_rows"] > 0 and long["day_rows"] > 0 and tiny["daily_increment"]["ratio"] > 0
    # like increments: the short history is its own simulation of the last tenth, incremented on the same day
    assert short["day"] == long["day"] and short["history_first_day"] > long["history_first_day"]
    assert long["history_days"] / short["history_days"] == pytest.approx(10, abs=0.2)
    assert tiny["daily_increment"]["short_simulation"]["rows"] > 0
    assert tiny["simulate"]["start"] == long["history_first_day"]  # the simulate section is the long simulation
    assert long["history_ledger_rows"] == build["ledger_rows"]

    run = tiny["bench_run"]
    assert run["wall_s"] > 0 and run["measures_everything"] is True and run["reused"] == {"simulate": False, "full_build": False}

    report = (out / "performance.md").read_text()
    assert "events/s" in report and "Machine:" in report and "quick run" in report
    # simulate, build time and bytes, gold, ad hoc, raw, two daily histories and their ratio, the whole run
    assert report.count("| `tiny` |") >= 14
    plans = (out / "explain_plans.txt").read_text()
    assert plans.count("Total Time:") == 3  # two Gold statements, one raw query (DuckDB 2's summary box)
