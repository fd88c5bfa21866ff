"""Backups of the local platform to a secondary location, and restores from them.

A backup is a directory `<dr dir>/backups/<id>/` holding `warehouse.duckdb`, `landing/`, `cold/` (when
the platform has a cold tier) and `manifest.json` (what the primary held when the backup was taken:
row counts and checksums per table, the newest loaded row, the file's SHA-256). It can also be
uploaded to an S3-compatible bucket (`s3://bucket/prefix`; the endpoint comes from AWS_ENDPOINT_URL).

Consistency: the backup holds the cross-process writer lock (lib/writer_lock.py) while it checkpoints
and copies the DuckDB file, so no writer commits in between and the copy is one committed state.
A file copy was chosen over EXPORT DATABASE because restoring it is a copy too (the RTO is the time
to copy one file, not to re-load every table), it keeps every object DuckDB holds (views, sequences,
macros), and the checksums of the copy can be compared with the primary's byte for byte.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from inventory_platform.dr.fingerprints import LOCK_TIMEOUT_S, newest_loaded_at, table_fingerprints
from inventory_platform.landing_contract import MANIFEST_FILE
from inventory_platform.lib.file_digest import sha256_of
from inventory_platform.lib.writer_lock import exclusive_writer

BACKUP_MANIFEST = "manifest.json"
WAREHOUSE_FILE = "warehouse.duckdb"


@dataclass(frozen=True)
class Backup:
    dir: Path
    manifest: dict

    @property
    def id(self) -> str:
        return self.manifest["backup_id"]

    @property
    def taken_at(self) -> datetime:
        return datetime.fromisoformat(self.manifest["taken_at"])


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=timezone.utc).isoformat() if value else None


def _copy_tree(source: Path, dest: Path) -> dict:
    if not source.is_dir():
        return {"present": False, "source": str(source)}
    shutil.copytree(source, dest)
    files = [p for p in dest.rglob("*") if p.is_file()]
    return {"present": True, "source": str(source), "files": len(files), "bytes": sum(p.stat().st_size for p in files)}


def _landing_scale(landing_dir: Path) -> str | None:
    manifest = landing_dir / MANIFEST_FILE
    return json.loads(manifest.read_text()).get("scale") if manifest.exists() else None


def create_backup(duckdb_path: Path, landing_dir: Path, cold_dir: Path, dr_dir: Path) -> Backup:
    if not duckdb_path.exists():
        raise FileNotFoundError(f"no warehouse to back up at {duckdb_path}")
    taken = datetime.now(timezone.utc)
    backup_id = taken.strftime("%Y%m%dT%H%M%S%fZ")
    final = dr_dir / "backups" / backup_id
    stage = final.with_name(backup_id + ".partial")
    stage.mkdir(parents=True)
    wal = duckdb_path.with_name(duckdb_path.name + ".wal")
    with exclusive_writer(duckdb_path, timeout_s=LOCK_TIMEOUT_S):
        # Only a pending WAL needs a writable open (CHECKPOINT folds it into the file); otherwise the
        # primary is opened read-only and left byte-for-byte as it was.
        con = duckdb.connect(str(duckdb_path), read_only=not wal.exists())
        try:
            if wal.exists():
                con.execute("CHECKPOINT")
            tables = table_fingerprints(con)
            newest = newest_loaded_at(con)
        finally:
            con.close()
        shutil.copy2(duckdb_path, stage / WAREHOUSE_FILE)
    manifest = {
        "backup_id": backup_id,
        "taken_at": taken.isoformat(),
        "duckdb_version": duckdb.__version__,
        "source": {"duckdb_path": str(duckdb_path), "landing_dir": str(landing_dir), "cold_dir": str(cold_dir)},
        "scale": _landing_scale(landing_dir),
        "warehouse": {"sha256": sha256_of(stage / WAREHOUSE_FILE), "bytes": (stage / WAREHOUSE_FILE).stat().st_size},
        "newest_loaded_at": _iso(newest),
        "tables": tables,
        "landing": _copy_tree(landing_dir, stage / "landing"),
        "cold": _copy_tree(cold_dir, stage / "cold"),
    }
    (stage / BACKUP_MANIFEST).write_text(json.dumps(manifest, indent=2))
    stage.rename(final)  # a backup without .partial is complete
    return Backup(final, manifest)


def load_backup(dr_dir: Path, backup_id: str | None = None) -> Backup:
    """The named backup, or the newest complete one."""
    root = dr_dir / "backups"
    if backup_id is None:
        complete = sorted(p.name for p in root.glob("*") if (p / BACKUP_MANIFEST).exists() and not p.name.endswith(".partial")) if root.exists() else []
        if not complete:
            raise FileNotFoundError(f"no complete backup under {root}; run `inventory-platform dr backup` first")
        backup_id = complete[-1]
    path = root / backup_id / BACKUP_MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"backup {backup_id!r} not found under {root} (no {BACKUP_MANIFEST})")
    return Backup(path.parent, json.loads(path.read_text()))


def restore_backup(backup: Backup, dr_dir: Path) -> tuple[Path, Path, Path]:
    """Copy a backup to a working location `<dr dir>/restored/<id>/` (the backup itself stays untouched).
    Returns (warehouse, landing, cold) paths; fails if the copied warehouse differs from the backup's SHA-256."""
    target = dr_dir / "restored" / backup.id
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    warehouse = target / WAREHOUSE_FILE
    shutil.copy2(backup.dir / WAREHOUSE_FILE, warehouse)
    if sha256_of(warehouse) != backup.manifest["warehouse"]["sha256"]:
        raise RuntimeError(f"{warehouse}: SHA-256 differs from backup {backup.id}'s manifest; the backup is damaged")
    for part in ("landing", "cold"):
        if (backup.dir / part).is_dir():
            shutil.copytree(backup.dir / part, target / part)
    return warehouse, target / "landing", target / "cold"
