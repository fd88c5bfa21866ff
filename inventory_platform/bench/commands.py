"""`inventory-platform bench`: run the benchmarks and write docs/performance.md."""

from __future__ import annotations

import os

import click
from rich.console import Console

console = Console()
SECTIONS = ("cdc_handler", "cdc_lag")


@click.command()
@click.option("--quick", is_flag=True, help="Smoke run in about a minute (fewer events, shorter windows).")
@click.option("--only", type=click.Choice(SECTIONS), multiple=True, help="Run only these sections.")
def bench(quick: bool, only: tuple[str, ...]) -> None:
    """Measure the platform (medians, machine described) and write docs/performance.md and .json."""
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from inventory_platform.bench.cdc import end_to_end_lag, handler_throughput
    from inventory_platform.bench.machine import describe_machine
    from inventory_platform.bench.report import RESULTS_JSON, REPORT_MD, save_section, write_report

    machine = describe_machine()
    everything = {}
    for section in only or SECTIONS:
        console.print(f"[bold]bench[/] {section}{' (quick)' if quick else ''} ...")
        if section == "cdc_handler":
            results = handler_throughput(events=10_000 if quick else 100_000, runs=3 if quick else 7)
        else:
            results = end_to_end_lag(seconds=5 if quick else 30)
        everything = save_section(section, machine, results, quick)
        console.print(results)
    write_report(everything)
    console.print(f"[green]Wrote[/] {REPORT_MD} and {RESULTS_JSON}")
