"""The local warehouse: one DuckDB file, opened by one writer at a time."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from inventory_platform.lib.writer_lock import exclusive_writer, shared_reader

_LOCK_RETRY_SECONDS = 60.0
DUCKDB_DEFAULT_MEMORY_LIMIT = "-1"  # DuckDB reads -1 as "its default"


def duckdb_config() -> dict[str, str]:
    """INVENTORY_DUCKDB_MEMORY_LIMIT caps DuckDB's memory (default: DuckDB's own, 80% of RAM); beyond it
    DuckDB spills to a temp directory beside the file, except in operators that cannot spill: at `medium`,
    the month-end snapshot's first build failed under 10GB and needed 18 GB. dbt's connection reads the
    same variable (dbt_project/profiles.yml)."""
    return {"memory_limit": os.environ.get("INVENTORY_DUCKDB_MEMORY_LIMIT", DUCKDB_DEFAULT_MEMORY_LIMIT)}


def _open(path: Path, read_only: bool = False, wait_seconds: float = _LOCK_RETRY_SECONDS) -> duckdb.DuckDBPyConnection:
    """Open the file, retrying while a process outside the warehouse lock (a DuckDB shell) holds DuckDB's own lock."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.2
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=duckdb_config())
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


@contextmanager
def connect_duckdb(path: Path, read_only: bool = False, wait_seconds: float = _LOCK_RETRY_SECONDS,
                   writer_wait_s: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for the duration of the block. Writers queue on the cross-process warehouse lock (for
    ever, or writer_wait_s and then TimeoutError); readers share it, waiting up to wait_seconds for a writer
    to finish (then TimeoutError)."""
    with ExitStack() as stack:
        if read_only:
            stack.enter_context(shared_reader(path, timeout_s=wait_seconds))
        else:
            stack.enter_context(exclusive_writer(path, timeout_s=writer_wait_s))
        con = _open(path, read_only=read_only, wait_seconds=wait_seconds)
        stack.callback(con.close)
        yield con


class DuckDBWarehouse(dg.ConfigurableResource):
    """Connection to the local DuckDB warehouse file (absolute path)."""

    path: str

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect_duckdb(Path(self.path), read_only=read_only) as con:
            yield con

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        """Run one statement and return its rows: the same call as RedshiftWarehouse.query."""
        with self.connect() as con:
            cursor = con.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def exclusive_writer(self):
        """The warehouse writer lock, for a writer outside this process (dbt-duckdb fails at once if
        another process writes, so it queues here first)."""
        return exclusive_writer(Path(self.path))
