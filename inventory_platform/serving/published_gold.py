"""Published Gold: the copy of Gold that readers open, so that no reader waits for a writer.

DuckDB lets one process write a file and no other process read it meanwhile, and at `full` a build writes for
minutes. After every Gold build the platform copies each relation of schema `gold` into a separate small file,
in one read transaction (so every table comes from the same build), and swaps it in with a rename. Readers
(the dashboard, `report yoy`, an analyst's own DuckDB client or BI tool) open that file read-only; a reader that
is open across a swap keeps the build it opened, and the next open sees the new one. The file is written in
DuckDB's 1.0 storage format, so 1.x clients open it too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from inventory_platform.lib.duckdb_warehouse import connect_duckdb
from inventory_platform.lib.processes import process_alive
from inventory_platform.lib.sql_quoting import quote_ident, quote_literal

SCHEMA = "gold"
INFO_TABLE = "main.published"  # one row: which build this file holds, and when it was published
_ALIAS = "published_snapshot"
_STORAGE_VERSION = "v1.0.0"


@dataclass(frozen=True)
class PublishedGold:
    path: Path
    build_id: str
    published_at: datetime
    row_counts: dict[str, int]


def publish_gold(con: duckdb.DuckDBPyConnection, target: Path, build_id: str) -> PublishedGold:
    """Copy every relation of schema gold visible to `con` into `target`, atomically: readers see the previous
    file or this one, never a part. `con` is only read."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned_copies(target)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    relations = [name for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_catalog = current_database() "
        "ORDER BY table_name", [SCHEMA]).fetchall()]
    if not relations:
        raise RuntimeError(f"nothing to publish: the warehouse has no relation in schema {SCHEMA!r} (build Gold first)")
    published_at = datetime.now(UTC)
    try:
        con.execute(f"ATTACH {quote_literal(str(tmp))} AS {_ALIAS} (STORAGE_VERSION '{_STORAGE_VERSION}', READ_WRITE)")
        try:
            counts = _write_copy(con, relations, build_id, published_at)
        finally:
            con.execute(f"DETACH {_ALIAS}")
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync(target.parent)
    finally:  # after the swap there is nothing left to remove
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
    return PublishedGold(target, build_id, published_at, counts)


def republish(duckdb_path: Path, target: Path, build_id: str) -> PublishedGold | None:
    """Publish the Gold of a warehouse the platform was just pointed at (a DR failover or rollback), so readers
    follow it; None when that warehouse holds no Gold yet."""
    with connect_duckdb(duckdb_path, read_only=True) as con:
        if not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ?", [SCHEMA]).fetchone()[0]:
            return None
        return publish_gold(con, target, build_id)


def _write_copy(con: duckdb.DuckDBPyConnection, relations: list[str], build_id: str, published_at: datetime) -> dict[str, int]:
    """One transaction: every relation read from the same snapshot of the warehouse."""
    con.execute("BEGIN")
    try:
        con.execute(f"CREATE SCHEMA {_ALIAS}.{SCHEMA}")
        counts = {}
        for name in relations:
            source = f"{SCHEMA}.{quote_ident(name)}"
            con.execute(f"CREATE TABLE {_ALIAS}.{source} AS FROM {source}")
            counts[name] = con.execute(f"SELECT count(*) FROM {_ALIAS}.{source}").fetchone()[0]
        con.execute(f"CREATE TABLE {_ALIAS}.{INFO_TABLE} (build_id VARCHAR, published_at TIMESTAMPTZ, "
                    "relations VARCHAR[], row_counts BIGINT[])")
        con.execute(f"INSERT INTO {_ALIAS}.{INFO_TABLE} VALUES (?, ?, ?, ?)",
                    [build_id, published_at, list(counts), list(counts.values())])
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return counts


def remove_abandoned_copies(target: Path) -> list[Path]:
    """Temporary copies left by a publisher that died (its pid is gone); a live publisher's copy is kept."""
    removed = []
    for path in target.parent.glob(f"{target.name}.tmp-*"):
        pid = path.name.rsplit(".tmp-", 1)[1].removesuffix(".wal")
        if pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid)):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
