"""What a warehouse holds, per table: row count and an order-independent checksum of every row.

The checksum is the sum of DuckDB's hash of each whole row, so it changes when any value of any row
changes, and not when rows are stored in another order. Hashes are comparable only within one DuckDB
version, which the manifest records.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb

from inventory_platform.bronze.in_place import IN_PLACE_TABLES
from inventory_platform.lib.sql_quoting import quote_ident, quote_literal
from inventory_platform.lib.writer_lock import exclusive_writer, shared_reader

LOCK_TIMEOUT_S = 600.0


@contextmanager
def read_only(path: Path, consistent: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection under the shared reader lock; `consistent` takes the exclusive lock instead,
    so no other reader or writer has the file open for the whole block."""
    if not path.exists():
        raise FileNotFoundError(f"no DuckDB warehouse at {path}")
    lock = exclusive_writer if consistent else shared_reader
    with lock(path, timeout_s=LOCK_TIMEOUT_S):
        con = duckdb.connect(str(path), read_only=True)
        try:
            yield con
        finally:
            con.close()


def user_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Every table, and the Bronze ledger where it is a view over the landed files read in place
    (bronze/in_place.py): its rows are data the warehouse serves, like a table's."""
    return [tuple(r) for r in con.execute("""
        select schema_name, table_name from duckdb_tables()
        where database_name = current_database() and not internal
        union all
        select schema_name, view_name from duckdb_views()
        where database_name = current_database() and not internal and schema_name = 'bronze'
          and view_name in (select unnest(?))
        order by 1, 2""", [list(IN_PLACE_TABLES)]).fetchall()]


def table_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    out = {}
    for schema, table in user_tables(con):
        relation = f"{quote_ident(schema)}.{quote_ident(table)}"
        try:
            rows, checksum = con.execute(f"select count(*), coalesce(sum(hash(t)), 0) from {relation} as t").fetchone()
        except duckdb.Error as exc:  # a view over landed files one of which is damaged or gone: that table fails
            rows, checksum = 0, f"unreadable: {str(exc).splitlines()[0]}"
        out[f"{schema}.{table}"] = {"rows": int(rows), "checksum": str(checksum)}
    return out


def newest_loaded_at(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The newest `_loaded_at` (UTC) of any Bronze table: how recent the data in this warehouse is."""
    tables = [r[0] for r in con.execute("""
        select table_name from duckdb_columns()
        where database_name = current_database() and schema_name = 'bronze' and column_name = '_loaded_at'
          and table_name not like '%\\_offloaded' escape '\\'""").fetchall()]
    if not tables:
        return None
    # A ledger read in place answers from its load log: the view would join every row to find the newest.
    views = {r[0] for r in con.execute("select view_name from duckdb_views() where database_name = current_database() "
                                       "and schema_name = 'bronze'").fetchall()}
    union = " union all ".join(
        f"select max(loaded_at) as m from bronze.load_log where source_table = {quote_literal(t)} and status = 'loaded'"
        if t in IN_PLACE_TABLES and t in views else f"select max(_loaded_at) as m from bronze.{quote_ident(t)}"
        for t in tables)
    return con.execute(f"select max(m) from ({union})").fetchone()[0]
