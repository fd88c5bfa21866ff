"""`inventory-platform stream up|produce|run|apply|status|down`: the local CDC pipeline from the command line."""

from __future__ import annotations

import json
import signal
import time

import click
from rich.console import Console
from rich.table import Table

from inventory_platform.settings import load_settings

console = Console()


@click.group()
def stream() -> None:
    """Near-real-time CDC: Kinesis (local moto server) -> Lambda handler -> clean/DLQ streams -> Bronze."""


@stream.command()
def up() -> None:
    """Start the local Kinesis/DynamoDB endpoint on 127.0.0.1 and create the streams and dedup table."""
    from inventory_platform.cdc.local_stack import local_endpoint, shard_counts, stream_names
    from streaming.local.local_endpoint import aws_client, ensure_streams

    settings = load_settings()
    url = local_endpoint(settings).up()
    names = stream_names(settings)
    ensure_streams(aws_client("kinesis", url), aws_client("dynamodb", url), names, shard_counts(names))
    console.print(f"[green]Local endpoint[/] {url}: streams {names.raw}, {names.clean}, {names.dlq}; "
                  f"dedup table {names.dedup_table}")


@stream.command()
def down() -> None:
    """Stop the local endpoint (its streams are discarded; Bronze and its checkpoints stay)."""
    from inventory_platform.cdc.local_stack import local_endpoint

    settings = load_settings()
    stopped = local_endpoint(settings).down()
    for stale in settings.streaming_dir.glob("esm-*.json"):  # positions in streams that no longer exist
        stale.unlink()
    console.print("Local endpoint stopped." if stopped else "No local endpoint was running.")


@stream.command()
@click.option("--events", type=int, default=1000, show_default=True, help="Source change events to emit.")
@click.option("--rate", type=float, default=None, help="Events per second [default: as fast as possible].")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--duplicates", type=float, default=0.0, show_default=True, help="Share of events delivered twice.")
@click.option("--malformed", type=float, default=0.0, show_default=True, help="Share followed by a malformed event.")
@click.option("--oversized", type=float, default=0.0, show_default=True, help="Share followed by an oversized event.")
@click.option("--out-of-order", type=float, default=0.0, show_default=True, help="Share of corrections emitted out of order.")
@click.option("--late", type=float, default=0.0, show_default=True, help="Share of receipts dated weeks back.")
def produce(events: int, rate: float | None, seed: int, duplicates: float, malformed: float, oversized: float,
            out_of_order: float, late: float) -> None:
    """Emit simulated source changes continuing from the warehouse's history onto the raw stream."""
    from inventory_platform.cdc.local_stack import kinesis_client, load_source, save_source, stream_names
    from streaming.local.producer import Faults
    from streaming.local.producer import produce as run_producer

    settings = load_settings()
    source = load_source(settings, seed, out_of_order_rate=out_of_order, late_rate=late)
    stats = run_producer(kinesis_client(settings), stream_names(settings).raw, source, events, rate,
                         Faults(duplicate=duplicates, malformed=malformed, oversized=oversized))
    save_source(settings, source)
    console.print(f"[green]Produced[/] {stats.source_events:,} source events ({stats.put:,} records with "
                  f"{stats.duplicates} duplicates, {stats.malformed} malformed, {stats.oversized} oversized) "
                  f"in {stats.seconds:.1f} s")


@stream.command()
@click.option("--until-idle", is_flag=True, help="Stop once both streams are drained.")
@click.option("--duration", type=float, default=None, help="Stop after this many seconds.")
@click.option("--batch-size", type=int, default=500, show_default=True, help="Records per handler invocation.")
def run(until_idle: bool, duration: float | None, batch_size: int) -> None:
    """Run the pipeline: event-source mapping -> handler -> clean/DLQ -> Bronze loader (Ctrl-C stops)."""
    from inventory_platform.cdc.local_pipeline import poll_until_idle, run_hops_concurrently
    from inventory_platform.cdc.local_stack import pipeline

    settings = load_settings()
    pipe = pipeline(settings, batch_size=batch_size)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    started = time.monotonic()
    try:
        if until_idle:
            poll_until_idle(pipe)
        else:
            run_hops_concurrently(pipe, lambda: stop["now"] or (duration is not None and time.monotonic() - started > duration))
    except KeyboardInterrupt:
        pass
    m, load = pipe.mapping.stats, pipe.loader.stats
    console.print(f"handler: {m.records:,} records in {m.invocations:,} invocations ({m.retries} retries, "
                  f"{m.sent_to_failure_destination} to the failure destination); Bronze: {load.loaded:,} events loaded "
                  f"in {load.flushes:,} commits ({load.redeliveries_skipped:,} redelivered changes skipped)")


@stream.command()
@click.option("--until-idle", is_flag=True, help="Stop once Silver and Gold cover what Bronze holds.")
@click.option("--duration", type=float, default=None, help="Stop after this many seconds.")
def apply(until_idle: bool, duration: float | None) -> None:
    """Merge streamed Bronze rows into Silver and Gold as they arrive: one long-lived process running the
    cdc_microbatch job in-process, with dbt in-process (started by `make dev`; Ctrl-C stops)."""
    from inventory_platform.cdc.applier import CdcApplier

    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    started = time.monotonic()
    applier = CdcApplier(load_settings(), log=console.print)
    try:
        refreshes = applier.run(lambda: stop["now"] or (duration is not None and time.monotonic() - started > duration),
                                until_idle=until_idle)
    except KeyboardInterrupt:
        return
    failed = [r for r in refreshes if not r.success]
    console.print(f"{len(refreshes)} refreshes, {len(failed)} failed")
    if until_idle and failed and failed[-1] is refreshes[-1]:
        raise click.ClickException(f"the last refresh failed: {failed[-1].error}")


@stream.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    """Lag per hop, records waiting, dead letters and what Bronze holds."""
    from inventory_platform.cdc.status import read_status

    settings = load_settings()
    try:
        state = read_status(settings)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(state.as_dict(), indent=2))
        return
    table = Table(title="CDC pipeline", show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    verdict = ("[red]FAIL[/]" if state.lag_seconds >= settings.cdc_lag_fail_seconds else
               "[yellow]WARN[/]" if state.lag_seconds >= settings.cdc_lag_warn_seconds else "[green]OK[/]")
    for measure, value in [
        ("lag (oldest unprocessed record)", f"{state.lag_seconds:.1f} s {verdict}"),
        ("raw stream: records waiting for the handler", f"{state.raw_unprocessed:,}"),
        ("clean stream: records waiting for Bronze", f"{state.clean_unloaded:,}"),
        ("dead-letter stream: records", f"{state.dead_letters:,}"),
        ("failure destination: records", f"{state.mapping_failures:,}"),
        ("Bronze cdc_events: events (each change once)", f"{state.bronze_events:,}"),
        ("newest source commit in Bronze", state.newest_source_commit or "-"),
        ("newest Bronze load", state.newest_load or "-"),
    ]:
        table.add_row(measure, value)
    console.print(table)
