"""`inventory-platform`: simulate data, materialize the platform, and report inventory value."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from inventory_platform.bench.commands import bench
from inventory_platform.cdc.commands import stream
from inventory_platform.dr.commands import dr
from inventory_platform.orchestration.run_commands import runs
from inventory_platform.settings import load_settings

console = Console()


@click.group()
def main() -> None:
    """GlobalRetail inventory data platform (Dagster + dbt; DuckDB locally, Redshift in production)."""


@main.command()
@click.option("--scale", type=click.Choice(["tiny", "small", "medium", "full"]), default="tiny", show_default=True)
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, same files.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Landing-zone folder [default: INVENTORY_LANDING_DIR or data/landing].")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last simulated day, YYYY-MM-DD [default: yesterday (UTC), so the platform looks live].")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First simulated day [default: four years before --end (1,461 days): 36 months with a prior year].")
@click.option("--force", is_flag=True, help="Regenerate even if the landing zone already holds this simulation.")
def simulate(scale: str, seed: int, out_dir: Path | None, end, start, force: bool) -> None:
    """Write simulated GlobalRetail landing files (Parquet by day, plus manifest.json)."""
    from datetime import UTC, date, datetime, timedelta

    from inventory_platform.landing_contract import MANIFEST_FILE
    from inventory_platform.simulation import simulate as run_simulation
    from inventory_platform.simulation.timeline import years_ending

    out_dir = (out_dir or load_settings().landing_dir).resolve()
    chosen = end is not None or start is not None
    end = end.date() if end else datetime.now(UTC).date() - timedelta(days=1)
    start = start.date() if start else years_ending(end)
    manifest_path = out_dir / MANIFEST_FILE
    if manifest_path.exists() and not force:
        existing = json.loads(manifest_path.read_text())
        if (existing.get("scale"), existing.get("seed")) != (scale, seed):
            raise click.ClickException(
                f"{out_dir} already holds scale {existing.get('scale')!r} seed {existing.get('seed')}; mixing two "
                "simulations in one landing zone (and warehouse) would double-count. Use another --out, "
                "or `make clean` to start over.")
        held = existing.get("start"), existing.get("end")
        if held != (start.isoformat(), end.isoformat()):
            if chosen:
                raise click.ClickException(
                    f"{out_dir} already holds {scale} (seed {seed}) from {held[0]} to {held[1]}; {start} to {end} "
                    "would rewrite days already landed, and Bronze refuses a changed file of a day it has loaded. "
                    "Use another --out, or `make clean` and simulate again (--force rewrites the landing zone, "
                    "but not a warehouse that loaded it).")
            # Only the default moved (a later day): keep the history the warehouse loaded. Its newest day
            # now shows as late (check data_is_current); `make clean && make demo` simulates up to yesterday.
            start, end = date.fromisoformat(held[0]), date.fromisoformat(held[1])
            console.print(f"Landing zone {out_dir} holds {scale} (seed {seed}) up to {end}; keeping it. "
                          "`make clean` first for a history up to yesterday.")
        if all((out_dir / f["path"]).exists() for f in existing["files"]):
            console.print(f"Landing zone {out_dir} already holds {scale} (seed {seed}) from {start} to {end}; "
                          "nothing to do (--force regenerates).")
            return
    started = time.monotonic()
    manifest = run_simulation(scale, seed, out_dir, start=start, end=end)
    rows = sum(f["rows"] for f in manifest["files"])
    console.print(f"[green]Simulated[/] {scale} (seed {seed}), {start} to {end}: {rows:,} rows in "
                  f"{len(manifest['files']):,} files under {out_dir} in {time.monotonic() - started:.0f} s")


@main.command()
@click.option("--job", "jobs", multiple=True, help="Run only this job (repeatable), e.g. cdc_microbatch.")
def materialize(jobs: tuple[str, ...]) -> None:
    """Materialize every asset through Dagster on the configured engine and run every check."""
    from dagster import DagsterInstance

    from inventory_platform.definitions import defs
    from inventory_platform.orchestration.gold_refresh import gold_asset_keys, gold_not_refreshed
    from inventory_platform.orchestration.materialize import materialize_everything

    settings = load_settings()
    with DagsterInstance.get() as instance:
        unknown = set(jobs) - {j.name for j in defs.jobs}
        if unknown:
            raise click.ClickException(f"unknown job(s) {sorted(unknown)}; jobs: {sorted(j.name for j in defs.jobs)}")
        summaries = materialize_everything(defs, instance, settings.landing_dir, list(jobs) or None)
    failed = False
    for s in summaries:
        state = "[green]succeeded[/]" if s.success else "[red]FAILED[/]"
        passed = len(s.checks) - len(s.failed_checks)
        console.print(f"run {s.run_id[:8]} {s.job}: {state}, {passed}/{len(s.checks)} checks passed")
        for check in s.failed_checks:
            described = s.failure_descriptions.get(check)
            console.print(f"  [red]check failed:[/] {check}" + (f": {escape(described)}" if described else ""),
                          highlight=False, soft_wrap=True)
        if s.error:
            console.print(f"  [red]run failed:[/] {escape(s.error)}", highlight=False, soft_wrap=True)
        failed |= not s.success or bool(s.failed_checks)
    if failed:
        console.print("[red]Materialization finished with failures; see the runs in the Dagster UI (make dev).[/]",
                      soft_wrap=True)
    # Last line: whether the numbers finance reads were refreshed (docs/valuation.md).
    reason = gold_not_refreshed(summaries, gold_asset_keys(defs))
    if reason:
        console.print(f"[red]Gold NOT refreshed: {escape(reason)}[/]", highlight=False, soft_wrap=True)
    elif failed:
        console.print("[yellow]Gold refreshed; the failed checks above name what it could not value or resolve.[/]")
    else:
        console.print("[green]Gold refreshed.[/]")
    if failed:
        sys.exit(1)


@main.group()
def report() -> None:
    """Reports read from the Gold layer."""


@report.command()
@click.option("--by", type=click.Choice(["total", "region", "category"]), default="total", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--months", type=click.IntRange(min=1), default=36, show_default=True,
              help="Latest month ends with a prior year.")
@click.option("--chart", "chart_path", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="Also write the executive chart (company total vs prior year, USD) as PNG to this file; "
                   "the same chart the Gold trend asset shows in the Dagster UI.")
@click.option("--region", "regions", multiple=True, help="Only these regions (repeatable), e.g. EU.")
@click.option("--category", "categories", multiple=True, help="Only these category codes (repeatable).")
@click.option("--warehouse", "warehouses", multiple=True, help="Only these warehouse ids (repeatable).")
def yoy(by: str, fmt: str, months: int, chart_path: Path | None, regions: tuple[str, ...],
        categories: tuple[str, ...], warehouses: tuple[str, ...]) -> None:
    """Month-end inventory value (USD) with prior-year value and YoY %, actual and constant currency.

    Reads published Gold (serving/), so it answers at once while a run writes the warehouse."""
    from inventory_platform.reporting.yoy import Filters, group_names, render, rich_table, yoy_trend
    from inventory_platform.serving.gold_reader import GoldNotPublished, gold_query, published_info

    settings = load_settings()
    filters = Filters(regions, categories, warehouses)
    try:
        with gold_query(settings) as query:
            rows = yoy_trend(query, by=by, months=months, filters=filters)
            total = rows if by == "total" else yoy_trend(query, by="total", months=months, filters=filters)
            names = group_names(query, by)
            info = published_info(settings, query)
    except GoldNotPublished as exc:
        raise click.ClickException(str(exc)) from None
    if info and fmt == "table":
        # stderr, like the chart note: piped csv/json stay clean.
        click.echo(f"Gold as published by run {info['build_id']} at {info['published_at']:%Y-%m-%d %H:%M} UTC", err=True)
    if fmt == "table":
        console.print(rich_table(rows, by, names, width=console.width))
    else:
        text = render(rows, fmt, names)
        click.echo(text, nl=not text.endswith("\n"))  # CSV ends its own last line: the file the dashboard exports
    if chart_path is not None:
        from inventory_platform.reporting.trend_chart import trend_chart_png

        chart_path.parent.mkdir(parents=True, exist_ok=True)
        chart_path.write_bytes(trend_chart_png(total))
        # stderr, so `--format json --chart x.png` still pipes clean JSON.
        click.echo(f"chart written to {chart_path}", err=True)


@main.command()
@click.option("--port", type=int, default=None, help="[default: INVENTORY_DASHBOARD_PORT or 3001]")
def dashboard(port: int | None) -> None:
    """The executive dashboard on http://127.0.0.1:<port>, reading published Gold."""
    from inventory_platform.dashboard.server import serve_dashboard

    serve_dashboard(port or load_settings().dashboard_port)


@main.command()
@click.option("--dagster-port", type=int, default=3000, show_default=True)
@click.option("--dashboard-port", type=int, default=None, help="[default: INVENTORY_DASHBOARD_PORT or 3001]")
def dev(dagster_port: int, dashboard_port: int | None) -> None:
    """The Dagster UI (`dagster dev`), the dashboard and, locally, the CDC applier (`stream apply`), on 127.0.0.1;
    Ctrl-C stops them all."""
    from inventory_platform.dashboard.server import serve_both

    settings = load_settings()
    applier_log = settings.streaming_dir / "applier.log" if settings.is_local else None
    sys.exit(serve_both(dagster_port, dashboard_port or settings.dashboard_port, applier_log))


main.add_command(stream)
main.add_command(bench)
main.add_command(dr)
main.add_command(runs)

if __name__ == "__main__":
    main()
