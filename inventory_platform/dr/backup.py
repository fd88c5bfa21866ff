"""Backups of the local platform to a secondary location, and restores from them.

A backup is a directory `<dr dir>/backups/<id>/` holding `warehouse.duckdb`, `landing/`, `cold/` (when
the platform has a cold tier) and `manifest.json` (what the primary held when the backup was taken:
row counts and checksums per table, the newest loaded row, the SHA-256 of every file). It can also be
uploaded to an S3-compatible bucket (`s3://bucket/prefix`; the endpoint comes from AWS_ENDPOINT_URL).

Every file is hashed because a damaged landing file is as fatal as a damaged warehouse: restored, it
is loaded by the first run on the copy. A restore is refused, naming the file, when any file of the
backup is missing, extra or differs from the manifest; the verification checklist checks the
restored copy's files the same way.

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
from datetime import UTC, datetime
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
    return value.replace(tzinfo=UTC).isoformat() if value else None


class BackupDamaged(RuntimeError):
    """A backup (or its restored copy) differs from its manifest; the message names the file."""


def file_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every file under root, by path relative to root (POSIX separators)."""
    return {p.relative_to(root).as_posix(): sha256_of(p) for p in sorted(root.rglob("*")) if p.is_file()}


def _copy_tree(source: Path, dest: Path) -> dict:
    if not source.is_dir():
        return {"present": False, "source": str(source)}
    shutil.copytree(source, dest)
    hashes = file_hashes(dest)
    return {"present": True, "source": str(source), "files": len(hashes),
            "bytes": sum((dest / name).stat().st_size for name in hashes), "sha256": hashes}


def tree_problems(root: Path, part: str, recorded: dict, allow_new: bool = False) -> list[str]:
    """How the folder `root` differs from the manifest's record of backup part `part` ("landing", "cold"):
    one line per missing, changed or (unless allow_new) unrecorded file. Manifests from before per-file
    hashes are checked by file count and bytes only."""
    if not recorded.get("present"):
        return [] if allow_new or not root.exists() else [f"{part}/: present, but the backup had none"]
    if not root.is_dir():
        return [f"{part}/: missing"]
    if "sha256" not in recorded:
        files = [p for p in root.rglob("*") if p.is_file()]
        got = (len(files), sum(p.stat().st_size for p in files))
        return [] if got == (recorded["files"], recorded["bytes"]) else [
            f"{part}/: {got[0]} files, {got[1]:,} bytes (manifest {recorded['files']}, {recorded['bytes']:,})"]
    problems = []
    for name, want in recorded["sha256"].items():
        path = root / name
        if not path.is_file():
            problems.append(f"{part}/{name}: missing")
        elif sha256_of(path) != want:
            problems.append(f"{part}/{name}: SHA-256 differs from the manifest")
    if not allow_new:
        problems += [f"{part}/{p.relative_to(root).as_posix()}: not in the manifest" for p in sorted(root.rglob("*"))
                     if p.is_file() and p.relative_to(root).as_posix() not in recorded["sha256"]]
    return problems


def summarize(problems: list[str]) -> str:
    return problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")


def _landing_scale(landing_dir: Path) -> str | None:
    manifest = landing_dir / MANIFEST_FILE
    return json.loads(manifest.read_text()).get("scale") if manifest.exists() else None


def create_backup(duckdb_path: Path, landing_dir: Path, cold_dir: Path, dr_dir: Path) -> Backup:
    if not duckdb_path.exists():
        raise FileNotFoundError(f"no warehouse to back up at {duckdb_path}")
    taken = datetime.now(UTC)
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
        complete = sorted(p.name for p in root.glob("*")
                          if (p / BACKUP_MANIFEST).exists() and not p.name.endswith(".partial")) if root.exists() else []
        if not complete:
            raise FileNotFoundError(f"no complete backup under {root}; run `inventory-platform dr backup` first")
        backup_id = complete[-1]
    path = root / backup_id / BACKUP_MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"backup {backup_id!r} not found under {root} (no {BACKUP_MANIFEST})")
    return Backup(path.parent, json.loads(path.read_text()))


def backup_problems(backup: Backup) -> list[str]:
    """How the backup's files differ from its manifest: one line per missing, extra or changed file."""
    warehouse = backup.dir / WAREHOUSE_FILE
    problems = [] if warehouse.is_file() else [f"{WAREHOUSE_FILE}: missing"]
    if not problems and sha256_of(warehouse) != backup.manifest["warehouse"]["sha256"]:
        problems.append(f"{WAREHOUSE_FILE}: SHA-256 differs from the manifest")
    for part in ("landing", "cold"):
        problems += tree_problems(backup.dir / part, part, backup.manifest[part])
    return problems


def restore_backup(backup: Backup, dr_dir: Path) -> tuple[Path, Path, Path]:
    """Copy a backup to a working location `<dr dir>/restored/<id>/` (the backup itself stays untouched).
    Returns (warehouse, landing, cold) paths. Raises BackupDamaged naming the file, before copying
    anything, when any file of the backup differs from its manifest; `dr verify` checks the copy."""
    problems = backup_problems(backup)
    if problems:
        raise BackupDamaged(f"backup {backup.id} at {backup.dir} is damaged, not restored: {summarize(problems)}; "
                            "fail over to another backup (--backup-id)")
    target = dr_dir / "restored" / backup.id
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    warehouse = target / WAREHOUSE_FILE
    shutil.copy2(backup.dir / WAREHOUSE_FILE, warehouse)
    if sha256_of(warehouse) != backup.manifest["warehouse"]["sha256"]:
        raise BackupDamaged(f"{warehouse}: the copy's SHA-256 differs from backup {backup.id}'s manifest; retry the failover")
    for part in ("landing", "cold"):
        if (backup.dir / part).is_dir():
            shutil.copytree(backup.dir / part, target / part)
    return warehouse, target / "landing", target / "cold"
