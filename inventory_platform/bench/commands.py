"""`inventory-platform bench`: run the benchmarks and write docs/performance.md."""

from __future__ import annotations

import json
import os
import time
from datetime import date
from pathlib import Path

import click
from rich.console import Console

from inventory_platform.bench.machine import describe_machine
from inventory_platform.settings import REPO_ROOT

console = Console()
CDC_SECTIONS = ("cdc_handler", "cdc_lag")
# Sections that need neither data nor a stream.
PLATFORM_SECTIONS = ("load_definitions_s",)
# In order of cost, each saved as it finishes: an interrupted run keeps the cheap answers.
WAREHOUSE_SECTIONS = ("simulate", "full_build", "gold_yoy", "adhoc_fact_query", "raw_yoy", "cdc_refresh",
                      "materialize_overhead", "daily_increment")
SECTIONS = PLATFORM_SECTIONS + CDC_SECTIONS + WAREHOUSE_SECTIONS
EXPLAIN_TXT = REPO_ROOT / "docs" / "optimization" / "explain_plans.txt"
# (gold_yoy runs, raw_yoy and adhoc_fact_query runs, daily increments per history)
# --quick simulates 14 months instead of 4 years: loading 1,461 daily partitions takes minutes even at tiny scale.
QUICK_HISTORY_START = date(2024, 11, 1)
CDC_REFRESH_RATE = 2000  # events/s: the rate issue 19's CDC targets are set at
RUNS = {"quick": (5, 2, 1), "tiny": (20, 5, 3), "small": (20, 3, 2), "medium": (20, 3, 2), "full": (20, 3, 1)}


@click.command()
@click.option("--quick", is_flag=True, help="Smoke run in a few minutes: fewer events and runs, `tiny` data.")
@click.option("--only", type=click.Choice(SECTIONS), multiple=True, help="Run only these sections.")
@click.option("--scale", type=click.Choice(["tiny", "small", "medium", "full"]), default=None,
              help="Data scale of the warehouse sections [default: tiny with --quick, else small].")
@click.option("--rebuild", is_flag=True,
              help="Rebuild the bench warehouses of this scale from empty (a fresh full_build measurement) "
                   "instead of reusing them from INVENTORY_BENCH_DIR.")
@click.option("--explain", is_flag=True,
              help="Also write EXPLAIN ANALYZE of the Gold and raw YoY queries to docs/optimization/explain_plans.txt "
                   "(or beside the report with --out).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for performance.md and performance.json [default: docs/].")
def bench(quick: bool, only: tuple[str, ...], scale: str | None, rebuild: bool, explain: bool,
          out_dir: Path | None) -> None:
    """Measure the platform (medians, machine described) and write docs/performance.md and .json.

    Warehouse sections simulate the scale once and build it through the platform into
    INVENTORY_BENCH_DIR (default ~/.cache/inventory-platform/bench), reused by later runs."""
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from inventory_platform.bench.report import REPORT_MD, RESULTS_JSON, save_section, write_report

    scale = scale or ("tiny" if quick else "small")
    results_json, report_md = (out_dir / RESULTS_JSON.name, out_dir / REPORT_MD.name) if out_dir else (RESULTS_JSON, REPORT_MD)
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
    # What earlier runs measured: the report is rewritten from it even when this run measures nothing
    # (`--explain` alone), instead of from an empty set.
    everything = json.loads(results_json.read_text()) if results_json.exists() else {}
    started = time.perf_counter()
    selected = only or SECTIONS
    if "load_definitions_s" in selected:
        from inventory_platform.bench.code_location import measure_code_location_load

        console.print("[bold]bench[/] load_definitions_s ...")
        machine = describe_machine()
        results = measure_code_location_load(runs=3 if quick else 7)
        everything = save_section("load_definitions_s", machine, results, quick, results_json)
        console.print(results)
    for section in (s for s in CDC_SECTIONS if s in selected):
        console.print(f"[bold]bench[/] {section}{' (quick)' if quick else ''} ...")
        machine = describe_machine()
        results = _cdc_section(section, quick)
        everything = save_section(section, machine, results, quick, results_json)
        console.print(results)
    warehouse = [s for s in WAREHOUSE_SECTIONS if s in selected]
    if warehouse or explain:
        reused = {}
        for section, machine, results in _warehouse_sections(warehouse, scale, quick, rebuild, explain, out_dir, reused):
            everything = save_section(section, machine, results, quick, results_json, scale=scale)
        if set(warehouse) == set(WAREHOUSE_SECTIONS):
            everything = save_section("bench_run", describe_machine(), {
                "wall_s": round(time.perf_counter() - started, 1), "sections": list(selected), "reused": reused,
                "measures_everything": not any(reused.values())}, quick, results_json, scale=scale)
    write_report(everything, report_md)
    console.print(f"[green]Wrote[/] {report_md} and {results_json}")


def _cdc_section(section: str, quick: bool):
    from inventory_platform.bench.cdc import end_to_end_lag, handler_throughput

    if section == "cdc_handler":
        return handler_throughput(events=10_000 if quick else 100_000, runs=3 if quick else 7)
    return end_to_end_lag(seconds=5 if quick else 30)


def _warehouse_sections(sections: list[str], scale: str, quick: bool, rebuild: bool, explain: bool,
                        out_dir: Path | None, reused: dict):
    """Yields (section, machine as the section started, results) as each finishes, so a long run keeps what it
    measured. `reused` learns which expensive steps were taken from the cache instead of measured."""
    from inventory_platform.bench.adhoc_query import measure_adhoc_fact_query
    from inventory_platform.bench.bench_data import BenchData
    from inventory_platform.bench.platform_builds import (
        BenchRunFailed,
        ensure_history,
        ensure_landing,
        measure_daily_increment,
    )
    from inventory_platform.bench.yoy_queries import explain_plans, measure_gold_yoy, measure_raw_yoy

    gold_runs, raw_runs, daily_runs = RUNS["quick" if quick else scale]
    data = BenchData(scale, start=QUICK_HISTORY_START if quick else None)
    console.print(f"[bold]bench[/] data: {scale} under {data.root} ...")
    simulated = ensure_landing(data)
    reused["simulate"] = simulated.get("reused_from_cache", False)
    if "simulate" in sections:
        console.print(simulated)
        yield "simulate", simulated.get("machine", describe_machine()), simulated
    if not set(sections) - {"simulate"} and not explain:
        return
    long_last = data.days()[-2]
    console.print(f"[bold]bench[/] warehouse through {long_last} ({'rebuilding' if rebuild else 'reused when built'}) ...")
    machine = describe_machine()
    long, long_build = ensure_history(data, long_last, rebuild)
    reused["full_build"] = long_build.get("reused_from_cache", False)
    if "full_build" in sections:
        console.print(long_build)
        yield "full_build", long_build.get("machine", machine), long_build
    if "gold_yoy" in sections:
        machine = describe_machine()
        console.print(f"[bold]bench[/] gold_yoy ({gold_runs} runs) ...")
        results = measure_gold_yoy(long.duckdb_path, gold_runs)
        console.print(results)
        yield "gold_yoy", machine, results
    if "adhoc_fact_query" in sections:
        machine = describe_machine()
        console.print(f"[bold]bench[/] adhoc_fact_query ({raw_runs} runs) ...")
        results = measure_adhoc_fact_query(long.duckdb_path, raw_runs)
        console.print(results)
        yield "adhoc_fact_query", machine, results
    if "raw_yoy" in sections:
        machine = describe_machine()
        console.print(f"[bold]bench[/] raw_yoy ({raw_runs} runs) ...")
        results = measure_raw_yoy(long.duckdb_path, raw_runs)
        console.print(results)
        yield "raw_yoy", machine, results
    if "cdc_refresh" in sections:
        from inventory_platform.bench.cdc_refresh import measure_cdc_refresh

        machine = describe_machine()
        console.print(f"[bold]bench[/] cdc_refresh at {CDC_REFRESH_RATE:,} events/s ...")
        # The sensor-started baseline beside it, except in a smoke run.
        results = measure_cdc_refresh(long, rate=CDC_REFRESH_RATE, seconds=10 if quick else 60, baseline=not quick)
        console.print(results)
        yield "cdc_refresh", machine, results
    if "materialize_overhead" in sections:
        from inventory_platform.bench.materialize_overhead import measure_materialize_overhead

        machine = describe_machine()
        console.print(f"[bold]bench[/] materialize_overhead ({2 if quick else 5} runs) ...")
        results = measure_materialize_overhead(long, runs=2 if quick else 5)
        console.print({k: v for k, v in results.items() if k != "samples"})
        yield "materialize_overhead", machine, results
    if "daily_increment" in sections:
        machine = describe_machine()
        # A separate simulation over the last tenth of the period: its increment is the same calendar day as the
        # long history's (same expected volume), so the ratio compares history sizes, not unlike days.
        short_data = data.shorter()
        console.print(f"[bold]bench[/] short history: {scale} from {short_data.start} under {short_data.root} ...")
        short_simulated = ensure_landing(short_data)
        short_last = short_data.days()[-2]
        if short_last != long_last:
            raise BenchRunFailed(f"the short history ends {short_last}, the long one {long_last}: unlike increments")
        console.print(f"[bold]bench[/] warehouse through {short_last} for the short history ...")
        short, _ = ensure_history(short_data, short_last, rebuild)
        histories = []
        for history_data, history in ((short_data, short), (data, long)):
            console.print(f"[bold]bench[/] daily_increment after {history.last_day} ({daily_runs} runs) ...")
            histories.append(measure_daily_increment(history_data, history, daily_runs))
            console.print(histories[-1])
        results = {"histories": histories,
                   "ratio": round(histories[1]["median_wall_s"] / histories[0]["median_wall_s"], 2),
                   "short_simulation": {k: v for k, v in short_simulated.items() if k != "machine"}}
        yield "daily_increment", machine, results
    if explain:
        path = out_dir / EXPLAIN_TXT.name if out_dir else EXPLAIN_TXT
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"EXPLAIN ANALYZE at `{scale}` scale, captured by `inventory-platform bench --explain "
                        f"--scale {scale}`.\n" + explain_plans(long.duckdb_path))
        console.print(f"[green]Wrote[/] {path}")
