"""`inventory-platform bench`: run the benchmarks and write docs/performance.md."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.console import Console

console = Console()
SECTIONS = ("cdc_handler", "cdc_lag")


@click.command()
@click.option("--quick", is_flag=True, help="Smoke run in about a minute (fewer events, shorter windows).")
@click.option("--only", type=click.Choice(SECTIONS), multiple=True, help="Run only these sections.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for performance.md and performance.json [default: docs/].")
def bench(quick: bool, only: tuple[str, ...], out_dir: Path | None) -> None:
    """Measure the platform (medians, machine described) and write docs/performance.md and .json."""
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from inventory_platform.bench.cdc import end_to_end_lag, handler_throughput
    from inventory_platform.bench.machine import describe_machine
    from inventory_platform.bench.report import RESULTS_JSON, REPORT_MD, save_section, write_report

    results_json, report_md = (out_dir / RESULTS_JSON.name, out_dir / REPORT_MD.name) if out_dir else (RESULTS_JSON, REPORT_MD)
    machine = describe_machine()
    everything = {}
    for section in only or SECTIONS:
        console.print(f"[bold]bench[/] {section}{' (quick)' if quick else ''} ...")
        if section == "cdc_handler":
            results = handler_throughput(events=10_000 if quick else 100_000, runs=3 if quick else 7)
        else:
            results = end_to_end_lag(seconds=5 if quick else 30)
        everything = save_section(section, machine, results, quick, results_json)
        console.print(results)
    write_report(everything, report_md)
    console.print(f"[green]Wrote[/] {report_md} and {results_json}")
