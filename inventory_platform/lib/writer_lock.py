"""Readers and writers of the DuckDB file take turns, across processes: Dagster runs, dbt, sensors, the CDC loader.

DuckDB refuses a writer process while any other process has the file open (even read-only), and it
refuses a reader while a writer has it; it never waits. So every opener first takes an advisory lock
on a file beside the warehouse: shared for readers, exclusive for writers. A writer then waits for
readers to finish instead of failing (a sensor's read-only peek used to break a dbt build that way).
Dagster's `duckdb_writer` pool orders writers inside Dagster; this lock also covers processes Dagster
does not run (`stream run`, `report`).
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def lock_path(duckdb_path: Path) -> Path:
    return duckdb_path.with_name(duckdb_path.name + ".writer.lock")


@contextmanager
def warehouse_lock(duckdb_path: Path, shared: bool = False, timeout_s: float | None = None) -> Iterator[None]:
    """Hold the lock (shared for a reader, exclusive for a writer); waits forever, or up to timeout_s and
    then raises TimeoutError, while a conflicting holder has it."""
    path = lock_path(duckdb_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    with path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() > deadline:
                    held_by = "a writer" if shared else "another reader or writer"
                    raise TimeoutError(f"{held_by} has held the warehouse lock {path} for {timeout_s} s "
                                       f"(last writer: {_last_writer(path)})") from None
                time.sleep(0.05)
        if not shared:  # name the holder for whoever waits (see fuser -v <lock> for readers)
            handle.truncate(0)
            handle.write(_holder_note())
            handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _holder_note() -> str:
    # INVENTORY_RUN_OWNER names the Dagster run's process (orchestration/run_recovery.py) when there is one.
    owner = os.environ.get("INVENTORY_RUN_OWNER")
    return f"pid {os.getpid()} ({os.path.basename(sys.argv[0]) or 'python'}" + (f", run owner {owner})" if owner else ")")


def _last_writer(path: Path) -> str:
    try:
        return path.read_text().strip() or "not recorded"
    except OSError:
        return "not recorded"


def exclusive_writer(duckdb_path: Path, timeout_s: float | None = None):
    return warehouse_lock(duckdb_path, shared=False, timeout_s=timeout_s)


def shared_reader(duckdb_path: Path, timeout_s: float | None = None):
    return warehouse_lock(duckdb_path, shared=True, timeout_s=timeout_s)
