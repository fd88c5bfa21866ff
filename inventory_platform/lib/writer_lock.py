"""One writer at a time on the DuckDB file, across processes: Dagster runs, dbt, and the CDC loader.

DuckDB itself refuses a second writer process outright (it does not wait), so writers queue on an
advisory lock file beside the warehouse first. Dagster's `duckdb_writer` pool orders writers inside
Dagster; this lock also orders them against processes Dagster does not run (`stream run`).
"""

from __future__ import annotations

import fcntl
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def lock_path(duckdb_path: Path) -> Path:
    return duckdb_path.with_name(duckdb_path.name + ".writer.lock")


@contextmanager
def exclusive_writer(duckdb_path: Path, timeout_s: float | None = None) -> Iterator[None]:
    """Hold the writer lock; waits (forever, or up to timeout_s then TimeoutError) while another holds it."""
    path = lock_path(duckdb_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    with path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"another process has held the writer lock {path} for {timeout_s} s") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
