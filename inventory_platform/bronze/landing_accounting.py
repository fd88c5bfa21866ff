"""Conservation from the landing zone into Bronze: every landed file is loaded or quarantined.

The Bronze check `every_landed_file_accounted_for` compares every file under the table's landing
folder with Bronze's load log. A file no load has read fails it with its name, its row count and the
reason, whatever the reason: a folder that is not a day, a day outside the ledger's partitions, a
partition not materialized yet. It is the net under every way a landed day could go missing from Gold
without an error. Files loaded by this run must also have put every row of the file into Bronze.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from inventory_platform.bronze.landing_inventory import LandedFile, landed_files
from inventory_platform.bronze.validation import display_name
from inventory_platform.landing_contract import SourceTable
from inventory_platform.lib.file_digest import sha256_of

ACCOUNTING_CHECK = "every_landed_file_accounted_for"


@dataclass(frozen=True)
class Unaccounted:
    path: Path
    reason: str
    rows: int | None  # rows in the file; None when it cannot be read
    pending: bool = False  # True when a load not yet run would read it (a partition not materialized)

    def message(self) -> str:
        rows = "unreadable" if self.rows is None else f"{self.rows:,} rows"
        return f"{display_name(self.path)} ({rows}): {self.reason}"


@dataclass(frozen=True)
class Accounting:
    landed: int
    loaded: int
    quarantined: int
    unaccounted: list[Unaccounted]

    @property
    def blocking(self) -> list[Unaccounted]:
        return [u for u in self.unaccounted if not u.pending]


def file_rows(path: Path) -> int | None:
    """Data rows in a landing file, whatever its name says: Parquet (by its magic bytes) from its footer,
    text by non-empty lines after the header."""
    try:
        with path.open("rb") as f:
            if f.read(4) == b"PAR1":
                import pyarrow.parquet as pq  # 0.3 s to import: not at code-location load

                return pq.ParquetFile(path).metadata.num_rows
            f.seek(0)
            return max(sum(1 for line in f if line.strip()) - 1, 0)
    except Exception:  # a corrupt or unreadable file: its name and reason still get reported
        return None


def account_for_landing(con: duckdb.DuckDBPyConnection, table: SourceTable, landing_dir: Path,
                        partitions: tuple[date, date] | None, batch_ids: list[str]) -> Accounting:
    """`partitions`: the first and last day of the ledger's daily partitions (day-partitioned tables);
    `batch_ids`: the batches of this run, whose loaded files are checked row for row."""
    logged = con.execute(
        "SELECT source_file, file_sha256, file_size, status, batch_id, rows_loaded FROM bronze.load_log "
        "WHERE source_table = ? ORDER BY loaded_at", [table.name]).fetchall()  # a path's latest status wins
    status_by_path = {path: status for path, _, _, status, _, _ in logged}
    loaded = {(size, sha) for _, sha, size, status, _, _ in logged if status == "loaded"}
    loaded_sizes = {size for size, _ in loaded}
    files = {display_name(f.path): f for f in landed_files(landing_dir, table)}  # the load log's names
    unaccounted = [u for name, f in files.items() if name not in status_by_path
                   if (u := _unaccounted(f, table, partitions, loaded, loaded_sizes)) is not None]
    for name, _, _, status, batch, rows_loaded in logged:
        if batch in batch_ids and status == "loaded" and name in files \
                and (rows := file_rows(files[name].path)) != rows_loaded:
            unaccounted.append(Unaccounted(files[name].path, f"only {rows_loaded:,} of its rows reached Bronze", rows))
    statuses = [status_by_path.get(name) for name in files]
    return Accounting(len(files), statuses.count("loaded"), statuses.count("quarantined"), unaccounted)


def _unaccounted(f: LandedFile, table: SourceTable, partitions: tuple[date, date] | None,
                 loaded: set[tuple[int, str]], loaded_sizes: set[int]) -> Unaccounted | None:
    """`loaded`: (size, sha256) of every file loaded; a file is hashed only when its size is in `loaded_sizes`."""
    if f.problem is not None:
        return Unaccounted(f.path, f"not loaded: {f.problem}", file_rows(f.path))
    if f.day is not None and partitions is not None and not partitions[0] <= f.day <= partitions[1]:
        return Unaccounted(f.path, f"not loaded: day {f.day} is outside the ledger's daily partitions "
                                   f"{partitions[0]}…{partitions[1]} (INVENTORY_HISTORY_START sets the first; "
                                   "unset, the partitions start on the earliest landed day)", file_rows(f.path))
    size = f.path.stat().st_size
    if size in loaded_sizes and (size, sha256_of(f.path)) in loaded:
        return None  # the same content was loaded under another name: loading it again would double-count
    where = f"its partition {f.day}" if f.day is not None else f"bronze/{table.name}"
    return Unaccounted(f.path, f"landed, not loaded yet: materialize {where}", file_rows(f.path), pending=True)
