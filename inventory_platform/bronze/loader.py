"""Append landing files into Bronze tables: idempotent per file, atomic per batch, bad files quarantined.

- A file whose content (sha256) was already loaded or quarantined for a table is skipped, so
  loading the same file twice adds nothing. A corrected file (new content) loads on the next run.
- Every accepted row carries load metadata: batch id, source file, source row, loaded-at, row hash.
- A rejected file loads no rows at all; it is recorded in bronze.quarantine with the reason and copied
  to the quarantine folder with a .reason.txt beside it. Other files of the batch still load.
- Rows, load log and quarantine records of one batch commit in a single transaction.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from inventory_platform.bronze.landing_inventory import landed_files
from inventory_platform.bronze.validation import Rejection, check_columns, find_bad_rows, typed_select
from inventory_platform.landing_contract import SourceTable
from inventory_platform.lib.file_digest import sha256_of
from inventory_platform.lib.sql_quoting import quote_ident
from streaming.bronze_loader import ensure_cdc_tables

BRONZE_SCHEMA = "bronze"
LOAD_METADATA_COLUMNS = (
    ("_batch_id", "VARCHAR"),
    ("_source_file", "VARCHAR"),
    ("_source_row", "BIGINT"),
    ("_loaded_at", "TIMESTAMP"),
)
_PARQUET_FILES_PER_QUERY = 400  # keeps the SQL text and the open-file count bounded


@dataclass
class LoadResult:
    table: str
    batch_id: str
    rows_loaded: int = 0
    files_loaded: list[str] = field(default_factory=list)
    files_skipped: int = 0
    rejections: list[Rejection] = field(default_factory=list)


def merged(results: list[LoadResult]) -> LoadResult:
    """Several batches of one table reported as one load (the batch id is the last one's)."""
    total = LoadResult(results[-1].table, results[-1].batch_id)
    for r in results:
        total.rows_loaded += r.rows_loaded
        total.files_loaded += r.files_loaded
        total.files_skipped += r.files_skipped
        total.rejections += r.rejections
    return total


def bronze_table(table: SourceTable) -> str:
    return f"{BRONZE_SCHEMA}.{quote_ident(table.name)}"


def ensure_bronze_tables(con: duckdb.DuckDBPyConnection, table: SourceTable) -> None:
    columns = [f"{quote_ident(c.name)} {c.type}" for c in table.columns]
    columns += [f"{name} {typ}" for name, typ in LOAD_METADATA_COLUMNS]
    # Computed when read, never stored: an md5 does not compress, and stored it was a quarter of the
    # warehouse file (18 bytes a ledger row; docs/optimization/slow_query_analysis.md §5).
    columns.append(f"_row_hash VARCHAR GENERATED ALWAYS AS ({_row_hash_expr(table)}) VIRTUAL")
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {BRONZE_SCHEMA}")
    con.execute(f"CREATE TABLE IF NOT EXISTS {bronze_table(table)} ({', '.join(columns)})")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {BRONZE_SCHEMA}.load_log (
        batch_id VARCHAR, source_table VARCHAR, source_file VARCHAR, file_sha256 VARCHAR,
        file_size BIGINT, file_mtime_ns BIGINT, status VARCHAR, rows_loaded BIGINT, loaded_at TIMESTAMP)""")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {BRONZE_SCHEMA}.quarantine (
        batch_id VARCHAR, source_table VARCHAR, source_file VARCHAR, file_sha256 VARCHAR,
        row_number BIGINT, column_name VARCHAR, bad_rows BIGINT, reason VARCHAR, quarantined_at TIMESTAMP)""")
    ensure_cdc_tables(con)  # Silver reads the CDC table even before anything has streamed


def landing_files(landing_dir: Path, table: SourceTable, days: list[date] | None = None) -> list[Path]:
    """The loadable files of a table (landing_inventory.py); for day-partitioned tables only the given
    days (all when None). Files no load can read are named by the accounting check, not here."""
    wanted = None if days is None or not table.partitioned_by_day else set(days)
    return [f.path for f in landed_files(landing_dir, table)
            if f.problem is None and (wanted is None or f.day in wanted)]


def _new_files(con: duckdb.DuckDBPyConnection, table: SourceTable, files: list[Path]) -> list[tuple[Path, str, os.stat_result]]:
    seen = con.execute(
        f"SELECT source_file, file_size, file_mtime_ns, file_sha256 FROM {BRONZE_SCHEMA}.load_log WHERE source_table = ?",
        [table.name],
    ).fetchall()
    seen_stat = {(path, size, mtime) for path, size, mtime, _ in seen}
    seen_sha = {sha for *_, sha in seen}
    fresh = []
    for f in files:
        stat = f.stat()
        if (str(f), stat.st_size, stat.st_mtime_ns) in seen_stat:
            continue
        sha = sha256_of(f)
        if sha not in seen_sha:
            fresh.append((f, sha, stat))
            seen_sha.add(sha)
    return fresh


def _row_hash_expr(table: SourceTable) -> str:
    parts = ", ".join(f"coalesce(CAST({quote_ident(c)} AS VARCHAR), '\\N')" for c in table.column_names)
    return f"md5(concat_ws(chr(31), {parts}))"


def _insert_sql(table: SourceTable, files: list[Path]) -> str:
    cols = ", ".join(quote_ident(c) for c in table.column_names)
    metadata = ", ".join(name for name, _ in LOAD_METADATA_COLUMNS)
    return (
        f"INSERT INTO {bronze_table(table)} ({cols}, {metadata}) "
        f"SELECT {cols}, $batch_id, filename, file_row_number + 1, $loaded_at FROM ({typed_select(table, files)})"
    )


def _validate(con: duckdb.DuckDBPyConnection, table: SourceTable, files: list[Path]) -> dict[Path, Rejection]:
    rejected: dict[Path, Rejection] = {}
    readable = []
    for f in files:
        problem = check_columns(con, f, table)
        if problem:
            rejected[f] = problem
        else:
            readable.append(f)
    parquet = [f for f in readable if f.suffix == ".parquet"]
    for i in range(0, len(parquet), _PARQUET_FILES_PER_QUERY):
        for name, rejection in find_bad_rows(con, table, parquet[i:i + _PARQUET_FILES_PER_QUERY]).items():
            rejected[Path(name)] = rejection
    for f in (f for f in readable if f.suffix == ".csv"):
        try:
            rejected.update({Path(k): v for k, v in find_bad_rows(con, table, [f]).items()})
        except duckdb.Error as exc:
            rejected[f] = Rejection(f, f"unreadable as csv: {str(exc).splitlines()[0]}")
    return rejected


def load_files(
    con: duckdb.DuckDBPyConnection,
    table: SourceTable,
    files: list[Path],
    quarantine_dir: Path,
    batch_id: str | None = None,
) -> LoadResult:
    ensure_bronze_tables(con, table)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    result = LoadResult(table.name, batch_id or f"{table.name}-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}")
    fresh = _new_files(con, table, files)
    result.files_skipped = len(files) - len(fresh)
    rejected = _validate(con, table, [f for f, _, _ in fresh])
    good = [f for f, _, _ in fresh if f not in rejected]
    params = {"batch_id": result.batch_id, "loaded_at": now}

    con.execute("BEGIN TRANSACTION")
    try:
        before = con.execute(f"SELECT count(*) FROM {bronze_table(table)}").fetchone()[0]
        for fmt in (".parquet", ".csv"):
            batch = [f for f in good if f.suffix == fmt]
            step = _PARQUET_FILES_PER_QUERY if fmt == ".parquet" else 1
            for i in range(0, len(batch), step):
                con.execute(_insert_sql(table, batch[i:i + step]), params)
        rows_by_file = dict(con.execute(
            f"SELECT _source_file, count(*) FROM {bronze_table(table)} WHERE _batch_id = ? GROUP BY 1",
            [result.batch_id]).fetchall())
        if fresh:
            con.executemany(
                f"INSERT INTO {BRONZE_SCHEMA}.load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [[result.batch_id, table.name, str(f), sha, st.st_size, st.st_mtime_ns,
                  "quarantined" if f in rejected else "loaded", rows_by_file.get(str(f), 0), now]
                 for f, sha, st in fresh],
            )
        if rejected:
            con.executemany(
                f"INSERT INTO {BRONZE_SCHEMA}.quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [[result.batch_id, table.name, str(f), sha, r.row, r.column, r.bad_rows, r.reason, now]
                 for f, sha, _ in fresh if (r := rejected.get(f))],
            )
        after = con.execute(f"SELECT count(*) FROM {bronze_table(table)}").fetchone()[0]
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise

    result.rows_loaded = after - before
    result.files_loaded = [str(f) for f in good]
    result.rejections = [rejected[f] for f, _, _ in fresh if f in rejected]
    for rejection in result.rejections:
        _copy_to_quarantine(rejection, quarantine_dir / table.name / result.batch_id)
    return result


def _copy_to_quarantine(rejection: Rejection, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / rejection.file.name
    if rejection.file.parent.name.startswith("date="):
        target = folder / f"{rejection.file.parent.name}_{rejection.file.name}"
    shutil.copy2(rejection.file, target)
    target.with_name(target.name + ".reason.txt").write_text(rejection.message() + "\n")
