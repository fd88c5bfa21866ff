"""What the DR copy holds that the primary lacks, and carrying it back to the primary.

After a failover the platform writes to the restored copy: Bronze batches (landing files loaded, CDC
micro-batches) and files landed in its landing folder. A rollback that only re-points the platform
at the primary drops them, so rollback first compares the two copies:
- batches: every `_batch_id` of a Bronze table on one copy that the other copy lacks, with its rows;
- landing files: files of one landing zone that the other lacks, and files both hold under one name
  when the other holds other content and this copy loaded (or quarantined) its own (a restored file
  that is merely damaged was never loaded, and is no write).
Silver and Gold are not compared: dbt derives them from Bronze.

Carry-back is the usual failback: the copy that took the writes wins. The DR copy's warehouse file
replaces the primary's in one rename (the old file stays beside it, hard-linked), and its new landing
files are copied into the primary's landing zone. It is refused when the primary holds batches the DR
copy lacks (written after the backup was taken): two diverged copies need a person to decide, not a rename.
"""

from __future__ import annotations

import os
import shutil
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from inventory_platform.bronze import in_place
from inventory_platform.dr.fingerprints import LOCK_TIMEOUT_S
from inventory_platform.lib.file_digest import sha256_of
from inventory_platform.lib.sql_quoting import quote_ident
from inventory_platform.lib.writer_lock import exclusive_writer

_LISTED = 3  # batches or files named in a message; the rest are counted


@dataclass
class Divergence:
    """What copy A holds that copy B lacks."""
    batches: dict[str, dict[str, int]] = field(default_factory=dict)  # "bronze.<table>" -> {batch id: rows}
    new_files: list[str] = field(default_factory=list)  # landing files B lacks (relative paths)
    changed_files: list[str] = field(default_factory=list)  # landing files B holds with other content

    def __bool__(self) -> bool:
        return bool(self.batches or self.new_files or self.changed_files)

    @property
    def rows(self) -> int:
        return sum(sum(b.values()) for b in self.batches.values())

    def describe(self) -> str:
        parts = []
        if self.batches:
            count = sum(len(b) for b in self.batches.values())
            tables = "; ".join(f"{table}: {len(b)} batch(es), {sum(b.values()):,} rows ({_listed(sorted(b))})"
                               for table, b in sorted(self.batches.items()))
            parts.append(f"{count} Bronze batch(es) with {self.rows:,} rows [{tables}]")
        if self.new_files:
            parts.append(f"{len(self.new_files)} landing file(s) [{_listed(self.new_files)}]")
        if self.changed_files:
            parts.append(f"{len(self.changed_files)} landing file(s) with other content [{_listed(self.changed_files)}]")
        return ", ".join(parts) if parts else "nothing"


def _listed(names: list[str]) -> str:
    return ", ".join(names[:_LISTED]) + (f" and {len(names) - _LISTED} more" if len(names) > _LISTED else "")


def bronze_batches(path: Path) -> tuple[dict[str, dict[str, int]], set[str]]:
    """Rows per `_batch_id` of every Bronze table of a warehouse file, and the SHA-256 of every landing
    file it loaded or quarantined (({}, set()) when there is no file). The caller holds the file's lock."""
    if not path.exists():
        return {}, set()
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute("""
            select table_name from duckdb_columns()
            where database_name = current_database() and schema_name = 'bronze' and column_name = '_batch_id'
            order by 1""").fetchall()]
        # The ledger read in place answers from its load log: grouping its view opens every landed file.
        batches = {f"bronze.{t}": logged if (logged := in_place.rows_by_batch(con, t)) is not None
                   else dict(con.execute(f"select _batch_id, count(*) from bronze.{quote_ident(t)} group by 1").fetchall())
                   for t in tables}
        has_log = con.execute("""select count(*) from duckdb_tables() where database_name = current_database()
                                 and schema_name = 'bronze' and table_name = 'load_log'""").fetchone()[0]
        files = {r[0] for r in con.execute("select distinct file_sha256 from bronze.load_log").fetchall()} if has_log else set()
        return batches, files
    finally:
        con.close()


def _files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()} if root.is_dir() else {}


def missing_batches(a: dict[str, dict[str, int]], b: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """The batches of `a` (as from bronze_batches) that `b` lacks, by table."""
    out = {}
    for table, batches in a.items():
        missing = {bid: rows for bid, rows in batches.items() if bid not in b.get(table, {})}
        if missing:
            out[table] = missing
    return out


def landing_difference(a_landing: Path, b_landing: Path, a_loaded: set[str]) -> tuple[list[str], list[str]]:
    """Files of landing zone A that B lacks, and files B holds with other content where A's content was
    loaded by A (its SHA-256 in `a_loaded`); relative paths."""
    new, changed = [], []
    b_files = _files(b_landing)
    for name, path in sorted(_files(a_landing).items()):
        if name not in b_files:
            new.append(name)
        elif (sha := sha256_of(path)) in a_loaded and (
                path.stat().st_size != b_files[name].stat().st_size or sha != sha256_of(b_files[name])):
            changed.append(name)
    return new, changed


def diverged(a_warehouse: Path, a_landing: Path, b_warehouse: Path, b_landing: Path) -> Divergence:
    """What copy A (warehouse file and landing folder) holds that copy B lacks. The caller holds both locks."""
    (a_batches, a_loaded), (b_batches, _) = bronze_batches(a_warehouse), bronze_batches(b_warehouse)
    return Divergence(missing_batches(a_batches, b_batches), *landing_difference(a_landing, b_landing, a_loaded))


def _checkpoint(path: Path) -> None:
    """Fold a pending WAL into the file, so the file alone is the whole committed state (a WAL left
    beside a replaced file would be replayed onto the wrong data)."""
    if path.with_name(path.name + ".wal").exists():
        con = duckdb.connect(str(path))
        try:
            con.execute("CHECKPOINT")
        finally:
            con.close()


def _copy_atomically(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.carry-back.tmp")
    shutil.copy2(source, tmp)
    os.replace(tmp, dest)


@dataclass(frozen=True)
class CarriedBack:
    carried: Divergence
    kept_primary: Path | None  # the previous primary file, for forensics


def locked(*warehouses: Path) -> ExitStack:
    """The exclusive writer lock of each warehouse, so no run writes to either copy meanwhile."""
    stack = ExitStack()
    for path in warehouses:
        stack.enter_context(exclusive_writer(path, timeout_s=LOCK_TIMEOUT_S))
    return stack


def carry_back(dr_warehouse: Path, dr_landing: Path, primary: Path, primary_landing: Path) -> CarriedBack:
    """Make the DR copy the primary again. The caller holds both writer locks (`locked`)."""
    _checkpoint(dr_warehouse)
    if primary.exists():
        _checkpoint(primary)
    (dr_batches, dr_loaded), (primary_batches, _) = bronze_batches(dr_warehouse), bronze_batches(primary)
    own = missing_batches(primary_batches, dr_batches)
    if own:
        raise RuntimeError(f"carry-back refused: the primary {primary} took writes the DR copy lacks (after its backup was taken) "
                           f"({Divergence(batches=own).describe()}); the two copies diverged. Stay on the DR copy "
                           "and load the primary's landing files there, or decide by hand which copy to keep")
    carried = Divergence(missing_batches(dr_batches, primary_batches), *landing_difference(dr_landing, primary_landing, dr_loaded))
    if carried.changed_files:
        raise RuntimeError(f"carry-back refused: {len(carried.changed_files)} landing file(s) differ between the DR "
                           f"copy {dr_landing} and the primary {primary_landing} [{_listed(carried.changed_files)}]; "
                           "keep the right version of each on both sides, then retry")
    for name in carried.new_files:
        _copy_atomically(dr_landing / name, primary_landing / name)
    tmp = primary.with_name(f".{primary.name}.carry-back.tmp")
    primary.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(dr_warehouse, tmp)
    if sha256_of(tmp) != sha256_of(dr_warehouse):
        tmp.unlink()
        raise RuntimeError(f"carry-back refused: the copy of {dr_warehouse} differs from it (SHA-256); the primary is unchanged")
    kept = None
    if primary.exists():
        kept = primary.with_name(f"{primary.name}.before-carry-back-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
        os.link(primary, kept)  # the old inode outlives the rename below
    os.replace(tmp, primary)
    return CarriedBack(carried, kept)
