"""`inventory-platform runs status|recover`: see and clear what a dead run holds (ops_runbooks/runbook_stuck_runs.md)."""

from __future__ import annotations

import click
from rich.console import Console

from inventory_platform.orchestration.run_recovery import (
    NOT_FINISHED_STATUSES,
    OWNER_TAG,
    WRITER_POOL,
    Owner,
    force_fail_run,
    reclaim_dead_runs,
    writer_holders,
)

console = Console()


@click.group()
def runs() -> None:
    """Runs that hold the warehouse writer, and reclaiming those whose process died."""


@runs.command()
def status() -> None:
    """Who holds the duckdb_writer pool, and which unfinished runs have a dead process."""
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        holders = writer_holders(instance)
        console.print(f"{WRITER_POOL}: {len(holders)} slot(s) held")
        for holder in holders:
            console.print(f"  {holder.describe()}")
        for run in instance.get_runs(filters=dg.RunsFilter(statuses=list(NOT_FINISHED_STATUSES))):
            owner = Owner.parse(run.tags.get(OWNER_TAG, ""))
            if owner is None:
                state = "owner not recorded"
            elif not owner.is_local():
                state = f"pid {owner.pid} on another host ({owner.host})"
            else:
                state = f"pid {owner.pid} " + ("alive" if owner.is_alive() else "[red]DEAD[/] (runs recover reclaims it)")
            console.print(f"run {run.run_id} {run.job_name}: {run.status.value}, {state}")


@runs.command()
@click.option("--run-id", "run_ids", multiple=True,
              help="Also fail this run and free its slots although its death cannot be checked here "
                   "(owner on another host or not recorded). Refused while its process is alive.")
def recover(run_ids: tuple[str, ...]) -> None:
    """Mark runs whose process is gone as failed, free their slots, stop the processes they left."""
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        reclaimed = reclaim_dead_runs(instance) + [force_fail_run(instance, run_id) for run_id in run_ids]
        holders = writer_holders(instance)
    for item in reclaimed:
        console.print(f"reclaimed {item.describe()}")
    if not reclaimed:
        console.print("nothing to reclaim: no run with a dead process, no slot held by a finished run")
    console.print(f"{WRITER_POOL}: {len(holders)} slot(s) held" +
                  "".join(f"\n  {h.describe()}" for h in holders))
