"""Load landing files into Bronze: idempotent per file, atomic per batch, bad files quarantined.

- A file whose content (sha256) was already loaded for a table is skipped, so loading the same file
  twice adds nothing; a quarantined file is skipped while unchanged at its path. A corrected file (new
  content, or a new name for a file quarantined for its name) loads on the next run.
- Every accepted row carries load metadata: batch id, source file, source row, loaded-at, row hash.
- The ledger (bronze/in_place.py) is not copied: a load registers the accepted files in the load log and
  re-creates the view that reads them in place. The small reference tables are copied into tables.
- A rejected file loads no rows at all; it is recorded in bronze.quarantine with the reason and copied
  to the quarantine folder with a .reason.txt beside it. Other files of the batch still load.
- Rows (or registrations), load log and quarantine records of one batch commit in a single transaction.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from inventory_platform.bronze import in_place
from inventory_platform.bronze.landing_inventory import landed_files
from inventory_platform.bronze.validation import (
    Rejection,
    check_columns,
    display_name,
    find_bad_rows,
    literal_path,
    typed_select,
)
from inventory_platform.cdc.bronze_table import ensure_cdc_tables
from inventory_platform.landing_contract import SourceTable
from inventory_platform.lib.file_digest import sha256_of
from inventory_platform.lib.sql_quoting import quote_ident, quote_literal

BRONZE_SCHEMA = "bronze"
LOAD_METADATA_COLUMNS = (
    ("_batch_id", "VARCHAR"),
    ("_source_file", "VARCHAR"),
    ("_source_row", "BIGINT"),
    ("_loaded_at", "TIMESTAMP"),
)
_PARQUET_FILES_PER_QUERY = 400  # keeps the SQL text and the open-file count bounded
_MAX_QUARANTINE_NAME = 240  # bytes, leaving room for ".reason.txt" within the usual 255


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
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {BRONZE_SCHEMA}")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {BRONZE_SCHEMA}.load_log (
        batch_id VARCHAR, source_table VARCHAR, source_file VARCHAR, file_sha256 VARCHAR,
        file_size BIGINT, file_mtime_ns BIGINT, status VARCHAR, rows_loaded BIGINT, loaded_at TIMESTAMP)""")
    in_place.ensure_load_log_columns(con)
    con.execute(f"""CREATE TABLE IF NOT EXISTS {BRONZE_SCHEMA}.quarantine (
        batch_id VARCHAR, source_table VARCHAR, source_file VARCHAR, file_sha256 VARCHAR,
        row_number BIGINT, column_name VARCHAR, bad_rows BIGINT, reason VARCHAR, quarantined_at TIMESTAMP)""")
    if in_place.reads_in_place(table):
        if _is_base_table(con, table):
            _migrate_to_in_place(con, table)
        elif not in_place.is_view(con, table):
            in_place.create_views(con, table)
    else:
        columns = [f"{quote_ident(c.name)} {c.type}" for c in table.columns]
        columns += [f"{name} {typ}" for name, typ in LOAD_METADATA_COLUMNS]
        # Computed when read, never stored: an md5 does not compress, and stored it was a quarter of the
        # warehouse file (18 bytes a ledger row; docs/optimization/slow_query_analysis.md §5).
        columns.append(f"_row_hash VARCHAR GENERATED ALWAYS AS ({in_place.row_hash_expr(table)}) VIRTUAL")
        con.execute(f"CREATE TABLE IF NOT EXISTS {bronze_table(table)} ({', '.join(columns)})")
    ensure_cdc_tables(con)  # Silver reads the CDC table even before anything has streamed


def _is_base_table(con: duckdb.DuckDBPyConnection, table: SourceTable) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                       "AND schema_name = ? AND table_name = ?", [BRONZE_SCHEMA, table.name]).fetchone()[0] > 0


def _migrate_to_in_place(con: duckdb.DuckDBPyConnection, table: SourceTable) -> None:
    """A warehouse from before Bronze read in place holds the ledger as a copied table. Its files are still
    landed: register them for the view and drop the copy, in one transaction. Refused, naming the files,
    when a loaded file is gone or changed, or was CSV, or the cold tier already moved Bronze rows out."""
    logged = con.execute(f"""SELECT source_file, file_size, file_mtime_ns FROM {BRONZE_SCHEMA}.load_log
                             WHERE source_table = ? AND status = 'loaded' ORDER BY loaded_at, source_file""",
                         [table.name]).fetchall()
    problems = [f for f, size, mtime in logged if not Path(f).suffix == ".parquet" or not Path(f).is_file()
                or (Path(f).stat().st_size, Path(f).stat().st_mtime_ns) != (size, mtime)]
    offloaded = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'silver' "
                            "AND table_name = 'cold_tier_partitions'").fetchone()[0]
    if problems or offloaded:
        reason = (f"{len(problems)} loaded file(s) are not the unchanged landed Parquet ({', '.join(problems[:3])})"
                  if problems else "the cold tier has offloaded Bronze rows from it")
        raise RuntimeError(f"bronze.{table.name} is a copied table from before Bronze read in place and cannot be "
                           f"converted: {reason}. Rebuild the warehouse from the landing zone.")
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"""UPDATE {BRONZE_SCHEMA}.load_log AS l SET load_file_key = k.key, read_path = l.source_file,
                            read_size = l.file_size, read_mtime_ns = l.file_mtime_ns, read_sha256 = l.file_sha256
                        FROM (SELECT rowid AS id, row_number() OVER (ORDER BY loaded_at, source_file) AS key
                              FROM {BRONZE_SCHEMA}.load_log WHERE source_table = ? AND status = 'loaded') AS k
                        WHERE l.rowid = k.id""", [table.name])
        con.execute(f"DROP TABLE {bronze_table(table)}")
        in_place.create_views(con, table)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def landing_files(landing_dir: Path, table: SourceTable, days: list[date] | None = None) -> list[Path]:
    """The loadable files of a table (landing_inventory.py); for day-partitioned tables only the given
    days (all when None). Files no load can read are named by the accounting check, not here."""
    wanted = None if days is None or not table.partitioned_by_day else set(days)
    return [f.path for f in landed_files(landing_dir, table)
            if f.problem is None and (wanted is None or f.day in wanted)]


def _new_files(con: duckdb.DuckDBPyConnection, table: SourceTable,
               files: list[Path]) -> tuple[list[tuple[Path, str | None, os.stat_result | None]], dict[Path, Rejection]]:
    """Files to validate: content never loaded before (under any path), and not quarantined before at
    this path. An unchanged path, size and modification time skip the hash only when the path last
    LOADED: a quarantined file fixed in place can keep its size and time (a corrected digit, a copy that
    preserves times), and a quarantined file renamed (a name that was not UTF-8) must load.
    Also returns the files that cannot be read at all (permissions), rejected without a hash."""
    log = f"{BRONZE_SCHEMA}.load_log"
    loaded_stat = set(con.execute(
        f"""SELECT source_file, file_size, file_mtime_ns FROM {log} WHERE source_table = ?
            QUALIFY row_number() OVER (PARTITION BY source_file ORDER BY loaded_at DESC) = 1 AND status = 'loaded'""",
        [table.name]).fetchall())
    loaded_sha = {sha for sha, in con.execute(
        f"SELECT DISTINCT file_sha256 FROM {log} WHERE source_table = ? AND status = 'loaded'", [table.name]).fetchall()}
    quarantined = set(con.execute(
        f"SELECT DISTINCT source_file, file_sha256 FROM {log} WHERE source_table = ? AND status = 'quarantined'",
        [table.name]).fetchall())
    fresh, unreadable = [], {}
    for f in files:
        try:
            stat = f.stat()
            if (display_name(f), stat.st_size, stat.st_mtime_ns) in loaded_stat:
                continue
            sha = sha256_of(f)
        except FileNotFoundError:
            continue  # removed since it was listed: no longer landed
        except OSError as exc:
            fresh.append((f, None, None))
            unreadable[f] = Rejection(f, f"unreadable: {exc.strerror or exc}")
            continue
        if sha not in loaded_sha and (display_name(f), sha) not in quarantined:
            fresh.append((f, sha, stat))
    return fresh, unreadable


def _without_repeats(fresh: list[tuple[Path, str, os.stat_result]], rejected: dict[Path, Rejection]):
    """Drop a second accepted file with the same content as another of the batch (it would load twice)."""
    kept, seen = [], set()
    for f, sha, st in fresh:
        if f not in rejected and sha in seen:
            continue
        seen.update([sha] if f not in rejected else [])
        kept.append((f, sha, st))
    return kept


def _insert_sql(table: SourceTable, files: list[Path]) -> str:
    cols = ", ".join(quote_ident(c) for c in table.column_names)
    metadata = ", ".join(name for name, _ in LOAD_METADATA_COLUMNS)
    return (
        f"INSERT INTO {bronze_table(table)} ({cols}, {metadata}) "
        f"SELECT {cols}, $batch_id, filename, file_row_number + 1, $loaded_at FROM ({typed_select(table, files, strict=True)})"
    )


def _unreadable(error: Exception, file: Path) -> Rejection:
    return Rejection(file, f"unreadable as {file.suffix[1:]}: {str(error).splitlines()[0]}")


def _bad_rows_one_query(con: duckdb.DuckDBPyConnection, table: SourceTable, files: list[Path]) -> dict[Path, Rejection]:
    """Bad rows of files of one format read in one query; when the query fails (a corrupt page, a
    value the reader cannot decode), each file again on its own, so only the files that fail are rejected."""
    try:
        found = find_bad_rows(con, table, files)
        if len(files) == 1:
            return {files[0]: list(found.values())[-1]} if found else {}
        by_name = {os.path.normpath(f): f for f in files}
        # A name that matches no file read would let a bad file through: then each file on its own.
        return {by_name[os.path.normpath(name)]: r for name, r in found.items()}
    except duckdb.Error as exc:
        if len(files) == 1:
            return {files[0]: _unreadable(exc, files[0])}
    except KeyError:
        pass
    return {f: r for one in files for f, r in _bad_rows_one_query(con, table, [one]).items()}


def _query_groups(files: list[Path]) -> list[list[Path]]:
    """Files read together by one query: Parquet up to _PARQUET_FILES_PER_QUERY at a time, a CSV alone,
    and a file whose path has a glob character alone. DuckDB (1.5) miscounts rows across files when a
    file list mixes an escaped pattern with other paths (a window over two files saw one of them twice)."""
    plain = [f for f in files if f.suffix == ".parquet" and literal_path(f) == str(f)]
    return ([plain[i:i + _PARQUET_FILES_PER_QUERY] for i in range(0, len(plain), _PARQUET_FILES_PER_QUERY)]
            + [[f] for f in files if f.suffix == ".parquet" and literal_path(f) != str(f)]
            + [[f] for f in files if f.suffix == ".csv"])


def _validate(con: duckdb.DuckDBPyConnection, table: SourceTable, files: list[Path]) -> dict[Path, Rejection]:
    rejected: dict[Path, Rejection] = {}
    readable = []
    for f in files:
        if display_name(f) != str(f):
            rejected[f] = Rejection(f, "file name is not valid UTF-8: rename the file")
        elif problem := check_columns(con, f, table):
            rejected[f] = problem
        else:
            readable.append(f)
    for group in _query_groups(readable):
        rejected.update(_bad_rows_one_query(con, table, group))
    return rejected


class _InsertFailed(Exception):
    def __init__(self, files: list[Path]):
        super().__init__(f"insert of {len(files)} file(s) failed")
        self.files = files


def _commit(con: duckdb.DuckDBPyConnection, table: SourceTable, result: LoadResult, now: datetime,
            fresh: list[tuple[Path, str, os.stat_result]], rejected: dict[Path, Rejection]) -> int:
    """Rows of the good files, the load log and the quarantine records in one transaction; rows added."""
    good = [f for f, _, _ in fresh if f not in rejected]
    params = {"batch_id": result.batch_id, "loaded_at": now}
    con.execute("BEGIN TRANSACTION")
    try:
        before = con.execute(f"SELECT count(*) FROM {bronze_table(table)}").fetchone()[0]
        for group in _query_groups(good):
            try:
                con.execute(_insert_sql(table, group), params)
            except duckdb.Error as exc:
                raise _InsertFailed(group) from exc
        rows_by_file = dict(con.execute(
            f"SELECT _source_file, count(*) FROM {bronze_table(table)} WHERE _batch_id = ? GROUP BY 1",
            [result.batch_id]).fetchall())
        if fresh:
            con.executemany(
                f"""INSERT INTO {BRONZE_SCHEMA}.load_log (batch_id, source_table, source_file, file_sha256, file_size,
                        file_mtime_ns, status, rows_loaded, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [[result.batch_id, table.name, display_name(f), sha, st and st.st_size, st and st.st_mtime_ns,
                  "quarantined" if f in rejected else "loaded", rows_by_file.get(str(f), 0), now]
                 for f, sha, st in fresh],
            )
        _record_quarantine(con, table, result, now, fresh, rejected)
        after = con.execute(f"SELECT count(*) FROM {bronze_table(table)}").fetchone()[0]
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return after - before


def _identity(file: Path) -> tuple[str | None, os.stat_result | None]:
    try:
        return sha256_of(file), file.stat()
    except OSError:
        return None, None


def _failing_alone(con: duckdb.DuckDBPyConnection, table: SourceTable, files: list[Path]) -> dict[Path, Rejection]:
    """Files of a failed insert that fail when read on their own, exactly as the insert reads them."""
    failing = {}
    for f in files:
        columns = ", ".join(quote_ident(c) for c in table.column_names)
        try:
            con.execute(f"SELECT count(DISTINCT hash({columns})) FROM ({typed_select(table, [f], strict=True)})").fetchall()
        except duckdb.Error as exc:
            failing[f] = _unreadable(exc, f)
    return failing


def load_files(
    con: duckdb.DuckDBPyConnection,
    table: SourceTable,
    files: list[Path],
    quarantine_dir: Path,
    batch_id: str | None = None,
    landing_dir: Path | None = None,
) -> LoadResult:
    """`landing_dir`: the landing root; the ledger's load log names files relative to it (so a copy of
    warehouse and landing folder together reads its own files), and a CSV's typed Parquet copy is kept in
    its .bronze_store/. Without it, paths are absolute and the store sits beside the quarantine folder."""
    ensure_bronze_tables(con, table)
    now = datetime.now(UTC).replace(tzinfo=None)
    result = LoadResult(table.name, batch_id or f"{table.name}-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}")
    with _utc_session(con):
        if in_place.reads_in_place(table):
            _register(con, table, files, result, now, landing_dir, quarantine_dir.parent)
        else:
            _load(con, table, files, result, now)
    for rejection in result.rejections:
        _copy_to_quarantine(rejection, quarantine_dir / table.name / result.batch_id)
    return result


@contextmanager
def _utc_session(con: duckdb.DuckDBPyConnection):
    """A Parquet timestamp with a time zone is cast to the contract's TIMESTAMP in the session's time
    zone, which is the machine's: in New York 03:00 UTC became 22:00 the day before. Cast in UTC."""
    previous = con.execute("SELECT current_setting('TimeZone')").fetchone()[0]
    con.execute("SET TimeZone = 'UTC'")
    try:
        yield
    finally:
        con.execute(f"SET TimeZone = {quote_literal(previous)}")


def _accepted(con: duckdb.DuckDBPyConnection, table: SourceTable, files: list[Path], result: LoadResult):
    """New files, validated: (fresh files with their identity, rejections)."""
    fresh, rejected = _new_files(con, table, files)
    rejected.update(_validate(con, table, [f for f, _, _ in fresh if f not in rejected]))
    fresh = _without_repeats(fresh, rejected)
    result.files_skipped = len(files) - len(fresh)
    return fresh, rejected


def _load(con: duckdb.DuckDBPyConnection, table: SourceTable, files: list[Path], result: LoadResult,
          now: datetime) -> None:
    fresh, rejected = _accepted(con, table, files, result)
    while True:
        try:
            result.rows_loaded = _commit(con, table, result, now, fresh, rejected)
            break
        except _InsertFailed as failed:
            # The insert reads the files again: one that changed or became unreadable since it was
            # validated is quarantined (with the hash of what is there now) and the batch retried.
            culprits = _failing_alone(con, table, failed.files)
            if not culprits:
                raise failed.__cause__ from None
            rejected.update(culprits)
            fresh = [(f, *_identity(f)) if f in culprits else (f, sha, st) for f, sha, st in fresh]

    result.files_loaded = [str(f) for f, _, _ in fresh if f not in rejected]
    result.rejections = [rejected[f] for f, _, _ in fresh if f in rejected]


def _register(con: duckdb.DuckDBPyConnection, table: SourceTable, files: list[Path], result: LoadResult,
              now: datetime, landing_dir: Path | None, default_store_parent: Path) -> None:
    """The in-place load: validate, then register the accepted files in the load log and re-create the
    view over them, in one transaction. No row is copied (a CSV or zoned-timestamp file once, into the store)."""
    fresh, rejected = _accepted(con, table, files, result)
    registered = {f for f, in con.execute(
        f"SELECT DISTINCT source_file FROM {BRONZE_SCHEMA}.load_log WHERE source_table = ? AND status = 'loaded' "
        "AND read_path IS NOT NULL", [table.name]).fetchall()}
    for f, _, _ in fresh:
        if display_name(f) in registered:
            rejected[f] = Rejection(f, "changed in place after it was loaded: Bronze reads loaded files in place, so "
                                       "restore the loaded version and land a correction under a new file name")
    if not fresh:
        return
    # Validated files are not read again: one changed since it was hashed is read now, as the view will.
    changed = [f for f, _, st in fresh if f not in rejected and st is not None and _stat_of(f) != _stat_key(st)]
    culprits = _failing_alone(con, table, changed)
    rejected.update(culprits)
    later = {f for f in changed if f not in culprits}  # changed but readable: hashed and validated next run
    fresh = [(f, *_identity(f)) if f in culprits else (f, sha, st) for f, sha, st in fresh if f not in later]
    result.files_skipped += len(later)

    root = in_place.landing_root(con) or landing_dir
    store_root = root if root is not None else default_store_parent
    reads: dict[Path, Path] = {}
    for f, sha, _ in fresh:
        if f in rejected:
            continue
        try:
            inside = root is not None and not Path(in_place.read_path(f, root)).is_absolute()
            reads[f] = (in_place.write_store_copy(con, table, f, sha, store_root if inside else default_store_parent)
                        if in_place.needs_store(con, table, f) else f)
        except (duckdb.Error, OSError) as exc:
            rejected[f] = _unreadable(exc, f)
    rows = _rows_by_file(con, list(reads.values()))
    gone = [c for c in in_place.changed_files(con, table) if c.reason.startswith("missing")] if reads else []
    if gone:  # the view cannot be re-created over a lost file; rows are never dropped silently
        raise FileNotFoundError(f"Bronze reads loaded files in place and {len(gone)} of them are gone "
                                f"({'; '.join(c.message() for c in gone[:3])}): restore them (check "
                                "bronze_files_unchanged), then load again")

    con.execute("BEGIN TRANSACTION")
    try:
        if in_place.landing_root(con) is None and landing_dir is not None:
            in_place.set_landing_root(con, landing_dir)
        next_key = con.execute(f"SELECT coalesce(max(load_file_key), 0) + 1 FROM {BRONZE_SCHEMA}.load_log").fetchone()[0]
        log_rows = []
        for f, sha, st in fresh:
            read = reads.get(f)
            read_stat = read.stat() if read is not None else None
            log_rows.append([
                result.batch_id, table.name, display_name(f), sha, st and st.st_size, st and st.st_mtime_ns,
                "quarantined" if f in rejected else "loaded", rows.get(read, 0) if read else 0, now,
                next_key + len(log_rows), read and in_place.read_path(read, root),
                read_stat and read_stat.st_size, read_stat and read_stat.st_mtime_ns,
                read and (sha if read == f else sha256_of(read))])
        if log_rows:
            con.executemany(
                f"""INSERT INTO {BRONZE_SCHEMA}.load_log (batch_id, source_table, source_file, file_sha256, file_size,
                        file_mtime_ns, status, rows_loaded, loaded_at, load_file_key, read_path, read_size,
                        read_mtime_ns, read_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", log_rows)
        _record_quarantine(con, table, result, now, fresh, rejected)
        if reads:
            in_place.create_views(con, table)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    result.rows_loaded = sum(rows.values())
    result.files_loaded = [str(f) for f, _, _ in fresh if f not in rejected]
    result.rejections = [rejected[f] for f, _, _ in fresh if f in rejected]


def _stat_key(st: os.stat_result) -> tuple[int, int]:
    return st.st_size, st.st_mtime_ns


def _stat_of(file: Path) -> tuple[int, int] | None:
    try:
        return _stat_key(file.stat())
    except OSError:
        return None


def _rows_by_file(con: duckdb.DuckDBPyConnection, files: list[Path]) -> dict[Path, int]:
    """Rows of each Parquet file, from its footer."""
    rows = {}
    for f in files:
        [(n,)] = con.execute(f"SELECT sum(num_rows) FROM parquet_file_metadata({quote_literal(literal_path(f))})").fetchall()
        rows[f] = int(n or 0)
    return rows


def _record_quarantine(con, table: SourceTable, result: LoadResult, now: datetime, fresh, rejected) -> None:
    if rejected:
        con.executemany(
            f"INSERT INTO {BRONZE_SCHEMA}.quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[result.batch_id, table.name, display_name(f), sha, r.row, r.column, r.bad_rows, r.reason, now]
             for f, sha, _ in fresh if (r := rejected.get(f))],
        )


def _copy_to_quarantine(rejection: Rejection, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    name = rejection.file.name
    if rejection.file.parent.name.startswith("date="):
        name = f"{rejection.file.parent.name}_{name}"
    if len(os.fsencode(name)) > _MAX_QUARANTINE_NAME:  # the day prefix can push a long name past NAME_MAX
        name = f"{hashlib.sha256(os.fsencode(name)).hexdigest()[:16]}{rejection.file.suffix}"
    target = folder / name
    reason = rejection.message()
    try:
        shutil.copy2(rejection.file, target)
    except OSError as exc:  # unreadable, or gone since: the record in bronze.quarantine is what counts
        reason += f" [not copied: {exc.strerror or exc}]"
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n")
