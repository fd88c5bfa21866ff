"""`inventory-platform dr backup|failover|verify|rollback|drill`: disaster recovery of the local platform."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import click
import duckdb
from rich.console import Console
from rich.table import Table

from inventory_platform.settings import load_settings

console = Console()
DRILL_LOG = "dr_drill_log.md"  # in the DR dir: a drill writes no file of the checkout


def _checklist_table(title: str, items) -> Table:
    table = Table(title=title)
    table.add_column("Check")
    table.add_column("Result")
    table.add_column("Detail")
    for item in items:
        table.add_row(item.name, "[green]PASS[/]" if item.passed else "[red]FAIL[/]", item.detail)
    return table


def _exit_on_failure(items, what: str) -> None:
    failed = [i for i in items if not i.passed]
    if failed:
        console.print(f"[red]{what}: {len(failed)} of {len(items)} items FAILED[/]")
        sys.exit(1)
    console.print(f"[green]{what}: all {len(items)} items passed[/]")


def _refusals_in_one_line(command):
    """Expected failures (a damaged backup, a missing file, a held lock, a corrupt warehouse) end the
    command with one line naming what is wrong and exit code 1; a traceback is left for bugs."""
    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (OSError, ValueError, RuntimeError, duckdb.Error) as exc:
            raise click.ClickException(" ".join(str(exc).split())) from None
    return run


@click.group()
def dr() -> None:
    """Disaster recovery: back up, fail over to the backup, verify it, roll back, rehearse (ops_runbooks/runbook_dr.md)."""


@dr.command()
@click.option("--s3", "s3_url", default=None, help="Also upload the backup to s3://bucket/prefix (endpoint: AWS_ENDPOINT_URL).")
@_refusals_in_one_line
def backup(s3_url: str | None) -> None:
    """Copy the warehouse (under the writer lock), landing zone and cold tier to the DR location."""
    from inventory_platform.dr.operations import backup as run_backup

    settings = load_settings()
    taken = run_backup(settings)
    m = taken.manifest
    console.print(f"[green]Backup {taken.id}[/] at {taken.dir}: {len(m['tables'])} tables, "
                  f"{m['warehouse']['bytes']:,} bytes warehouse, landing "
                  f"{m['landing'].get('files', 0):,} files, cold tier {'present' if m['cold']['present'] else 'absent'}")
    if s3_url:
        from inventory_platform.dr.s3_store import upload_backup

        console.print(f"uploaded {upload_backup(taken.dir, s3_url)} objects to {s3_url.rstrip('/')}/{taken.id}/")


@dr.command()
@click.option("--backup-id", default=None, help="Backup to restore [default: the newest].")
@click.option("--s3", "s3_url", default=None, help="Fetch the backup from s3://bucket/prefix first.")
@_refusals_in_one_line
def failover(backup_id: str | None, s3_url: str | None) -> None:
    """Restore a backup and point the platform at it (the active-location pointer settings read)."""
    from inventory_platform.dr.operations import failover as run_failover

    settings = load_settings()
    if s3_url:
        from inventory_platform.dr.s3_store import download_backup, latest_backup_id

        backup_id = backup_id or latest_backup_id(s3_url)
        download_backup(s3_url, backup_id, settings.dr_dir / "backups")
    pointer = run_failover(settings, backup_id=backup_id)
    console.print(f"[green]Failed over[/] to backup {pointer['backup_id']}: the platform now runs on "
                  f"{pointer['duckdb_path']} (landing {pointer['landing_dir']}).")
    _republish(f"dr failover to backup {pointer['backup_id']}")
    console.print("Every `inventory-platform` process and the Dagster code location read it through load_settings(); "
                  "restart running ones. For other tools:")
    click.echo(f"export INVENTORY_DUCKDB_PATH={pointer['duckdb_path']}\nexport INVENTORY_LANDING_DIR={pointer['landing_dir']}")
    console.print("Next: `inventory-platform dr verify`.")


def _republish(reason: str):
    """Readers follow the platform to the copy it now runs on: its Gold is published where they read."""
    from inventory_platform.serving.published_gold import republish

    settings = load_settings()
    published = republish(settings.duckdb_path, settings.published_gold_path, reason)
    if published:
        console.print(f"Readers (report yoy, the dashboard, SQL clients) now read its Gold: {published.path}.")
    return settings


@dr.command()
@_refusals_in_one_line
def verify() -> None:
    """Run the checklist on the restored copy; exits 1 if any item fails."""
    from inventory_platform.dr.operations import verify as run_verify

    settings = load_settings()
    items = run_verify(settings)
    console.print(_checklist_table(f"DR verification of {settings.active_location} ({settings.duckdb_path})", items))
    _exit_on_failure(items, "verify")


@dr.command()
@click.option("--carry-back", "carry", is_flag=True,
              help="The DR copy took writes: make it the primary again (its warehouse file replaces the primary's, "
                   "its new landing files are copied over); refused if the primary took writes of its own.")
@_refusals_in_one_line
def rollback(carry: bool) -> None:
    """Point the platform back at the primary and check that nothing is lost; refused while the DR copy
    holds writes the primary lacks (see --carry-back)."""
    from inventory_platform.dr.operations import rollback as run_rollback

    items = run_rollback(load_settings(), carry=carry)
    settings = _republish("dr rollback")
    console.print(_checklist_table(f"Primary after rollback ({settings.duckdb_path})", items))
    _exit_on_failure(items, "rollback")


@dr.command()
@click.option("--log", "log_path", type=click.Path(path_type=Path), default=None,
              help=f"Drill log to append to [default: INVENTORY_DR_DRILL_LOG or <DR dir>/{DRILL_LOG}].")
@click.option("--keep", is_flag=True, help="Keep the drill's backup and restored copy (kept anyway when it fails).")
@_refusals_in_one_line
def drill(log_path: Path | None, keep: bool) -> None:
    """Rehearse: backup, failover, verify and rollback on a copy; prints and logs the measured RPO and RTO."""
    from inventory_platform.dr.operations import drill as run_drill

    settings = load_settings()
    if settings.active_location != "primary":
        raise click.ClickException(f"the platform runs on {settings.active_location}; drill from the primary "
                                   "(`inventory-platform dr rollback` first)")
    log_path = (log_path or Path(os.environ.get("INVENTORY_DR_DRILL_LOG", settings.dr_dir / DRILL_LOG))).resolve()
    result = run_drill(settings, log_path, keep=keep)
    console.print(_checklist_table(f"DR drill: verification of backup {result.backup_id}", result.items))
    console.print(_checklist_table("DR drill: primary after rollback", result.rollback_items))
    behind = "n/a" if result.behind_primary_s is None else f"{result.behind_primary_s:.1f} s"
    console.print(f"RPO {result.rpo_s:.1f} s (backup age at failover; behind primary: {behind}), "
                  f"RTO {result.rto_s:.1f} s (failover start to verified). Logged to {log_path}")
    _exit_on_failure(result.items + result.rollback_items, "drill")
