"""Bronze of the ledger read in place: the landed Parquet files are the Bronze rows, not a copy of them.

At `full` scale a row-by-row copy of every accepted ledger file was a second 15 GB of the same rows and
35 minutes of inserts. Instead `bronze.inventory_transactions` is a view, re-created in every load
transaction, over `read_parquet([every loaded file])` joined to `bronze.load_log` for the lineage
columns. Its columns and values are exactly those of the old table: the contract columns cast as the
strict insert cast them, `_batch_id`, `_source_file`, `_source_row`, `_loaded_at` and `_row_hash`, plus
`_load_file_key`: the file's key in the load log, which Silver rows keep as their lineage pointer (with
`_source_row`) instead of repeating the file's name, batch and load time on every row.

- An explicit file list, never a glob: a glob would also read quarantined and half-written files.
- Paths are stored relative to the landing root (the view `bronze.landing_root`), so a copy of the warehouse and
  its landing folder elsewhere (a DR restore, a carry-back) is re-pointed with `point_at_landing`.
- A file the view could not read as landed (CSV, or Parquet whose columns are not exactly the contract's,
  such as timestamps with a time zone, cast in the reading session's zone) is written once as typed
  Parquet into `<landing>/.bronze_store/`
  (hidden: not a landed file, but inside the landing root, so DR copies and carries it like the rest).
- Files of months the cold tier has offloaded carry the offload's id in the load log and leave the view
  (`offloaded_relation` reads them for the cold tier's reconciliation).
- The load log's size and mtime of each file back the check `bronze_files_unchanged`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from inventory_platform.bronze.validation import literal_path, reader_sql, typed_expr, typed_select
from inventory_platform.landing_contract import SourceTable
from inventory_platform.lib.file_digest import sha256_of
from inventory_platform.lib.sql_quoting import quote_ident, quote_literal

SCHEMA = "bronze"
LOAD_LOG = f"{SCHEMA}.load_log"
LANDING_ROOT = f"{SCHEMA}.landing_root"
STORE_FOLDER = ".bronze_store"
IN_PLACE_TABLES = ("inventory_transactions",)  # the ledger; reference tables are small and stay copied tables
OFFLOADED_SUFFIX = "_offloaded"
# load_file_key: the file's integer key (rows can point to it); read_path: the file the view reads (the
# landed file, or its typed copy in the store), relative to the landing root when inside it, with its
# size and mtime at load (bronze_files_unchanged); offload_id: set when the cold tier offloaded its month.
_LOAD_LOG_ADDED = (("load_file_key", "BIGINT"), ("read_path", "VARCHAR"), ("read_size", "BIGINT"),
                   ("read_mtime_ns", "BIGINT"), ("read_sha256", "VARCHAR"), ("offload_id", "VARCHAR"))


def reads_in_place(table: SourceTable) -> bool:
    return table.name in IN_PLACE_TABLES


def relation(table: SourceTable, offloaded: bool = False) -> str:
    return f"{SCHEMA}.{quote_ident(table.name + (OFFLOADED_SUFFIX if offloaded else ''))}"


def row_hash_expr(table: SourceTable) -> str:
    parts = ", ".join(f"coalesce(CAST({quote_ident(c)} AS VARCHAR), '\\N')" for c in table.column_names)
    return f"md5(concat_ws(chr(31), {parts}))"


def ensure_load_log_columns(con: duckdb.DuckDBPyConnection) -> None:
    for name, typ in _LOAD_LOG_ADDED:
        con.execute(f"ALTER TABLE {LOAD_LOG} ADD COLUMN IF NOT EXISTS {name} {typ}")
    con.execute(f"CREATE VIEW IF NOT EXISTS {LANDING_ROOT} AS SELECT CAST(NULL AS VARCHAR) AS path WHERE false")


def landing_root(con: duckdb.DuckDBPyConnection) -> Path | None:
    row = con.execute(f"SELECT path FROM {LANDING_ROOT}").fetchone()
    return Path(row[0]) if row else None


def read_path(file: Path, landing_dir: Path | None) -> str:
    """How the load log names a file for the view: relative to the landing root when inside it."""
    # abspath, not resolve: a landing zone may link day folders in (landing_inventory.py), and the path
    # through the link is the one a copy of the landing folder keeps.
    if landing_dir is not None:
        try:
            return _absolute(file).relative_to(_absolute(landing_dir)).as_posix()
        except ValueError:
            pass
    return str(_absolute(file))


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(path))


def resolve(read_path_: str, root: Path | None) -> Path:
    path = Path(read_path_)
    return path if path.is_absolute() or root is None else root / path


def needs_store(con: duckdb.DuckDBPyConnection, table: SourceTable, file: Path) -> bool:
    """A file the view does not read as it landed: CSV (text), or Parquet whose columns are not exactly the
    contract's, in its order and types (an INT32 quantity, a timestamp with a time zone, whose cast would
    depend on the reading session's zone). The view can then take every file's schema from the first."""
    if file.suffix != ".parquet":
        return True
    described = con.execute(f"DESCRIBE SELECT * FROM {reader_sql([file])}").fetchall()
    physical = [(name, typ.upper()) for name, typ, *_ in described if name not in ("filename", "file_row_number")]
    return physical != [(c.name, c.type.upper()) for c in table.columns]


def write_store_copy(con: duckdb.DuckDBPyConnection, table: SourceTable, file: Path, sha256: str,
                     landing_dir: Path) -> Path:
    """The accepted file once as typed Parquet in the Bronze store, named by content (a rerun rewrites the
    same bytes). Written to a temporary name and renamed, so a crash leaves no half file under its name.
    The caller runs it in a UTC session (the cast of a zoned timestamp)."""
    day = file.parent.name if file.parent.name.startswith("date=") else None
    folder = landing_dir / STORE_FOLDER / table.name / (day or "")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{sha256}.parquet"
    tmp = folder / f".{sha256}.{os.getpid()}.tmp"
    cols = ", ".join(quote_ident(c) for c in table.column_names)
    con.execute(f"COPY (SELECT {cols} FROM ({typed_select(table, [file], strict=True)}) ORDER BY file_row_number) "
                f"TO {quote_literal(str(tmp))} (FORMAT parquet, COMPRESSION zstd)")
    os.replace(tmp, target)
    return target


@dataclass(frozen=True)
class LoadedFile:
    key: int
    path: Path


def loaded_files(con: duckdb.DuckDBPyConnection, table: SourceTable, offloaded: bool = False) -> list[LoadedFile]:
    """The files the view reads (or, `offloaded`, the files of offloaded months), in load order."""
    root = landing_root(con)
    rows = con.execute(
        f"""SELECT load_file_key, read_path FROM {LOAD_LOG}
            WHERE source_table = ? AND status = 'loaded' AND read_path IS NOT NULL
              AND (offload_id IS NOT NULL) = ? ORDER BY load_file_key""", [table.name, offloaded]).fetchall()
    return [LoadedFile(key, resolve(path, root)) for key, path in rows]


def rows_by_batch(con: duckdb.DuckDBPyConnection, view_name: str) -> dict[str, int] | None:
    """Rows per `_batch_id` that the in-place view `view_name` (a table's view or its offloaded twin) serves,
    from the load log: what `GROUP BY _batch_id` over the view answers, without opening every file. None
    when `view_name` is not such a view (a copied table: group it)."""
    name = view_name.removesuffix(OFFLOADED_SUFFIX)
    if name not in IN_PLACE_TABLES or not con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() AND schema_name = ? "
            "AND view_name = ?", [SCHEMA, view_name]).fetchone()[0]:
        return None
    return dict(con.execute(
        f"""SELECT batch_id, sum(rows_loaded)::BIGINT FROM {LOAD_LOG}
            WHERE source_table = ? AND status = 'loaded' AND read_path IS NOT NULL AND rows_loaded > 0
              AND (offload_id IS NOT NULL) = ? GROUP BY batch_id""", [name, name != view_name]).fetchall())


def _empty_select(table: SourceTable) -> str:
    cols = [f"CAST(NULL AS {c.type}) AS {quote_ident(c.name)}" for c in table.columns]
    return f"SELECT {', '.join(cols)}, CAST(NULL AS BIGINT) AS load_file_key, CAST(NULL AS BIGINT) AS file_row_number WHERE false"


def _files_select(table: SourceTable, files: list[LoadedFile]) -> str:
    """Contract columns, the file's load key and row number. Every file holds exactly the contract's columns
    and types (`needs_store`), so the reader takes the schema from the first file instead of opening every
    file to unite them (0.5 s a query over 1,461 files), and maps rows to files by `file_index`, an integer,
    not by comparing each row's path. A path with a glob character is read alone (DuckDB miscounts rows
    when a list mixes an escaped pattern with other paths)."""
    if not files:
        return _empty_select(table)
    plain = [f for f in files if literal_path(f.path) == str(f.path)]
    groups = ([plain] if plain else []) + [[f] for f in files if literal_path(f.path) != str(f.path)]
    cols = ", ".join(f"{typed_expr(c, from_text=False, strict=True)} AS {quote_ident(c.name)}" for c in table.columns)
    parts = []
    for group in groups:
        paths = ", ".join(quote_literal(literal_path(f.path)) for f in group)
        keys = "(VALUES " + ", ".join(f"({i}::UBIGINT, {int(f.key)})" for i, f in enumerate(group)) + ") AS k(idx, key)"
        parts.append(f"SELECT {cols}, r.file_row_number, k.key AS load_file_key "
                     f"FROM read_parquet([{paths}], file_row_number = true, union_by_name = false, hive_partitioning = false) AS r "
                     f"JOIN {keys} ON k.idx = r.file_index")
    return " UNION ALL ".join(parts)


def create_views(con: duckdb.DuckDBPyConnection, table: SourceTable) -> None:
    """(Re)create the table's view and its offloaded twin from the load log; inside the caller's transaction."""
    cols = ", ".join(f"r.{quote_ident(c)}" for c in table.column_names)
    for offloaded in (False, True):
        files = loaded_files(con, table, offloaded)
        con.execute(f"""CREATE OR REPLACE VIEW {relation(table, offloaded)} AS
            SELECT {cols}, l.batch_id AS _batch_id, l.source_file AS _source_file,
                   r.file_row_number + 1 AS _source_row, l.loaded_at AS _loaded_at,
                   {row_hash_expr(table)} AS _row_hash, r.load_file_key AS _load_file_key
            FROM ({_files_select(table, files)}) AS r
            JOIN {LOAD_LOG} AS l ON l.load_file_key = r.load_file_key""")


def point_at_landing(con: duckdb.DuckDBPyConnection, landing_dir: Path, tables: list[SourceTable]) -> None:
    """Make `landing_dir` the root of the load log's relative paths and re-create the views over it: a
    restored or carried-back copy of the warehouse reads its own landing folder. One transaction; no table
    changes (a restored copy's tables still match its backup's checksums)."""
    con.execute("BEGIN TRANSACTION")
    try:
        set_landing_root(con, landing_dir)
        for table in tables:
            create_views(con, table)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def set_landing_root(con: duckdb.DuckDBPyConnection, landing_dir: Path) -> None:
    """A one-row view, not a table: where this copy's files are is not data (a DR copy differs only here)."""
    con.execute(f"CREATE OR REPLACE VIEW {LANDING_ROOT} AS SELECT {quote_literal(str(_absolute(landing_dir)))} AS path")


def is_view(con: duckdb.DuckDBPyConnection, table: SourceTable) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() "
                       "AND schema_name = ? AND view_name = ?", [SCHEMA, table.name]).fetchone()[0] > 0


@dataclass(frozen=True)
class ChangedFile:
    path: Path
    reason: str

    def message(self) -> str:
        return f"{self.path}: {self.reason}"


def changed_files(con: duckdb.DuckDBPyConnection, table: SourceTable, verify_sha256: bool = False) -> list[ChangedFile]:
    """Every file Bronze reads in place (hot and offloaded) that is gone or differs from what the load log
    recorded: size and modification time, and with `verify_sha256` the content hash too."""
    root = landing_root(con)
    rows = con.execute(
        f"""SELECT read_path, read_size, read_mtime_ns, read_sha256 FROM {LOAD_LOG}
            WHERE source_table = ? AND status = 'loaded' AND read_path IS NOT NULL ORDER BY load_file_key""",
        [table.name]).fetchall()
    changed = []
    for path_, size, mtime_ns, sha in rows:
        path = resolve(path_, root)
        try:
            stat = path.stat()
        except OSError as exc:
            changed.append(ChangedFile(path, f"missing ({exc.strerror or exc})"))
            continue
        if stat.st_size != size:
            changed.append(ChangedFile(path, f"size {stat.st_size:,} bytes, loaded with {size:,}"))
        elif stat.st_mtime_ns != mtime_ns:
            changed.append(ChangedFile(path, "modified since it was loaded (modification time differs)"))
        elif verify_sha256 and sha256_of(path) != sha:
            changed.append(ChangedFile(path, "content differs from the SHA-256 recorded at load"))
    return changed

