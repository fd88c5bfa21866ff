"""The DR sequence: failover to a backup, verify it, roll back to the primary, and the drill of all three."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from inventory_platform.bronze.in_place import ensure_load_log_columns, point_at_landing, reads_in_place
from inventory_platform.dr.active_location import clear_active_pointer, read_active_pointer, write_active_pointer
from inventory_platform.dr.backup import Backup, create_backup, load_backup, restore_backup
from inventory_platform.dr.checklist import CheckItem, run_checklist
from inventory_platform.dr.failback import carry_back, diverged, locked
from inventory_platform.dr.fingerprints import LOCK_TIMEOUT_S, newest_loaded_at, read_only, table_fingerprints
from inventory_platform.landing_contract import SOURCE_TABLES
from inventory_platform.lib.writer_lock import exclusive_writer
from inventory_platform.settings import Settings

DRILL_LOG_HEADER = """# Disaster-recovery drill log

One row per `inventory-platform dr drill` (appended by the command; see runbook_dr.md).
RPO = age of the backup when failover started (what a real loss of the primary at that moment would
lose at most); "behind primary" = newest loaded row in the primary minus the newest in the backup.
RTO = failover start until the restored copy passed verification.

| Date (UTC) | Scale | Backup | RPO | Behind primary | RTO | Checklist | Result |
|---|---|---|---|---|---|---|---|
"""


def cold_dir(settings: Settings) -> Path:
    """The cold tier's folder (INVENTORY_COLD_DIR); a backup records it as absent until the first offload."""
    return settings.cold_dir or settings.data_dir / "cold"


def primary_paths(settings: Settings) -> tuple[Path, Path]:
    """The primary's warehouse and landing zone, even while the platform runs on a restored copy."""
    pointer = read_active_pointer(settings.dr_dir)
    if pointer is None:
        return settings.duckdb_path, settings.landing_dir
    return Path(pointer["primary_duckdb_path"]), Path(pointer["primary_landing_dir"])


def backup(settings: Settings, dr_dir: Path | None = None) -> Backup:
    """Back up the copy the platform runs on: the primary, or after a failover the restored copy taking writes."""
    return create_backup(settings.duckdb_path, settings.landing_dir, cold_dir(settings), dr_dir or settings.dr_dir)


def failover(settings: Settings, dr_dir: Path | None = None, backup_id: str | None = None) -> dict:
    """Restore a backup (the newest by default) and point the platform at it."""
    dr_dir = dr_dir or settings.dr_dir
    chosen = load_backup(dr_dir, backup_id)
    duckdb_path, landing_dir = primary_paths(settings)
    warehouse, landing, _ = restore_backup(chosen, dr_dir)
    repoint_bronze(warehouse, landing)
    pointer = {
        "backup_id": chosen.id,
        "duckdb_path": str(warehouse),
        "landing_dir": str(landing),
        "primary_duckdb_path": str(duckdb_path),
        "primary_landing_dir": str(landing_dir),
        "failed_over_at": datetime.now(UTC).isoformat(),
    }
    write_active_pointer(dr_dir, pointer)
    return pointer


def repoint_bronze(warehouse: Path, landing: Path) -> None:
    """Bronze reads the landed files in place (bronze/in_place.py): a copy of the warehouse reads the copy
    of the landing folder beside it, not the folder it was loaded from (gone with the primary's disk)."""
    with exclusive_writer(warehouse, timeout_s=LOCK_TIMEOUT_S):
        _point_bronze(warehouse, landing)


def _point_bronze(warehouse: Path, landing: Path) -> None:
    """repoint_bronze for a caller that holds the warehouse's writer lock."""
    con = duckdb.connect(str(warehouse))
    try:
        if con.execute("select count(*) from duckdb_tables() where schema_name = 'bronze' "
                       "and table_name = 'load_log'").fetchone()[0]:
            ensure_load_log_columns(con)
            point_at_landing(con, landing, [t for t in SOURCE_TABLES.values() if reads_in_place(t)])
    finally:
        con.close()


def verify(settings: Settings, dr_dir: Path | None = None, with_dbt: bool = True) -> list[CheckItem]:
    """The checklist on the copy the platform is pointed at, against the manifest of its backup."""
    dr_dir = dr_dir or settings.dr_dir
    pointer = read_active_pointer(dr_dir)
    if pointer is None:
        raise RuntimeError(f"the platform runs on the primary (no {dr_dir}/active_location.json); "
                           "verify checks a restored copy: run `inventory-platform dr failover` first")
    manifest = load_backup(dr_dir, pointer["backup_id"]).manifest
    warehouse = Path(pointer["duckdb_path"])
    return run_checklist(warehouse, manifest, settings.dr_freshness_hours, warehouse.parent / "verify")


def rollback(settings: Settings, dr_dir: Path | None = None, carry: bool = False) -> list[CheckItem]:
    """Point the platform back at the primary, never losing what the DR copy took since the failover:
    refused when the DR copy holds Bronze batches or landing files the primary lacks, unless `carry`
    makes the DR copy the primary again (failback.carry_back), and refused when the primary lacks rows
    the backup held (a table may have grown since, never shrunk or vanished). The restored copy stays
    for forensics."""
    dr_dir = dr_dir or settings.dr_dir
    pointer = read_active_pointer(dr_dir)
    if pointer is None:
        raise RuntimeError(f"the platform already runs on the primary (no pointer in {dr_dir})")
    manifest = load_backup(dr_dir, pointer["backup_id"]).manifest
    copy, copy_landing = Path(pointer["duckdb_path"]), Path(pointer["landing_dir"])
    primary, primary_landing = Path(pointer["primary_duckdb_path"]), Path(pointer["primary_landing_dir"])
    items = []
    with locked(copy, primary):
        if carry:
            done = carry_back(copy, copy_landing, primary, primary_landing)
            _point_bronze(primary, primary_landing)
            kept = f"; the previous primary file is kept as {done.kept_primary}" if done.kept_primary else ""
            items.append(CheckItem("primary: DR copy carried back", True,
                                   f"carried {done.carried.describe()} from {copy}{kept}"))
        elif not primary.exists():
            raise FileNotFoundError(f"the primary warehouse {primary} is gone; stay on the restored copy, or "
                                    "`inventory-platform dr rollback --carry-back` to make it the primary again")
        missing = diverged(copy, copy_landing, primary, primary_landing)
        if missing:
            raise RuntimeError(
                f"rollback refused: the DR copy {copy} took writes the primary {primary} lacks: {missing.describe()}; "
                "rolling back would lose them. Run `inventory-platform dr rollback --carry-back` to make the DR copy "
                "the primary again, or stay on the DR copy (runbook_dr.md, Rollback)")
        items.append(CheckItem("primary: holds every write of the DR copy", True,
                               f"no Bronze batch or landing file of {copy} is missing on the primary"))
        items += _backup_rows_kept(primary, manifest)
        if not all(i.passed for i in items) and not carry:
            lost = "; ".join(f"{i.name.removeprefix('primary ').removesuffix(': nothing lost')} {i.detail}"
                             for i in items if not i.passed)
            raise RuntimeError(f"rollback refused: the primary {primary} lacks rows backup {pointer['backup_id']} held "
                               f"({lost}); stay on the DR copy, or `--carry-back` to make it the primary again")
        clear_active_pointer(dr_dir)
    return items


def _backup_rows_kept(primary: Path, manifest: dict) -> list[CheckItem]:
    """The primary still holds every table of the backup with at least its rows. The caller holds its lock."""
    con = duckdb.connect(str(primary), read_only=True)
    try:
        actual = table_fingerprints(con)
    finally:
        con.close()
    if actual == manifest["tables"]:
        return [CheckItem("primary: nothing lost", True,
                          f"all {len(actual)} tables identical to backup {manifest['backup_id']} (rows and checksums)")]
    lost = [(t, want["rows"], actual[t]["rows"] if t in actual else None) for t, want in sorted(manifest["tables"].items())
            if t not in actual or actual[t]["rows"] < want["rows"]]
    if not lost:
        return [CheckItem("primary: nothing lost", True,
                          "every table of the backup present with at least its rows (the primary moved on since)")]
    return [CheckItem(f"primary {t}: nothing lost", False, "missing" if got is None else f"{got:,} rows (backup {want:,})")
            for t, want, got in lost]


@dataclass(frozen=True)
class DrillResult:
    backup_id: str
    scale: str | None
    rpo_s: float
    behind_primary_s: float | None
    rto_s: float
    items: list[CheckItem]
    rollback_items: list[CheckItem]

    @property
    def passed(self) -> bool:
        return all(i.passed for i in self.items) and all(i.passed for i in self.rollback_items)


def drill(settings: Settings, log_path: Path, keep: bool = False, with_dbt: bool = True) -> DrillResult:
    """Backup, failover, verify, rollback on a throw-away secondary location `<dr dir>/drills/<stamp>/`:
    the real backups, the platform's active pointer and the primary's data are not changed."""
    drill_dir = settings.dr_dir / "drills" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    taken = backup(settings, drill_dir)
    failover_started = datetime.now(UTC)
    started = time.monotonic()
    pointer = failover(settings, drill_dir, taken.id)
    manifest = taken.manifest
    warehouse = Path(pointer["duckdb_path"])
    items = run_checklist(warehouse, manifest, settings.dr_freshness_hours, warehouse.parent / "verify", with_dbt)
    rto_s = time.monotonic() - started
    rollback_items = rollback(settings, drill_dir)
    with read_only(Path(pointer["primary_duckdb_path"]), consistent=True) as con:
        primary_newest = newest_loaded_at(con)
    backup_newest = datetime.fromisoformat(manifest["newest_loaded_at"]).replace(tzinfo=None) if manifest["newest_loaded_at"] else None
    result = DrillResult(
        taken.id, manifest["scale"], (failover_started - taken.taken_at).total_seconds(),
        (primary_newest - backup_newest).total_seconds() if primary_newest and backup_newest else None,
        rto_s, items, rollback_items)
    append_drill_log(log_path, result)
    if result.passed and not keep:
        shutil.rmtree(drill_dir)
    return result


def append_drill_log(log_path: Path, result: DrillResult) -> None:
    if not log_path.exists():
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_text(DRILL_LOG_HEADER)
    passed = sum(i.passed for i in result.items)
    behind = "n/a" if result.behind_primary_s is None else f"{result.behind_primary_s:.1f} s"
    with log_path.open("a") as log:
        log.write(f"| {datetime.now(UTC):%Y-%m-%d %H:%M} | {result.scale or 'unknown'} | {result.backup_id} "
                  f"| {result.rpo_s:.1f} s | {behind} | {result.rto_s:.1f} s | {passed}/{len(result.items)} passed "
                  f"| {'PASS' if result.passed else 'FAIL'} |\n")
