"""Leave a DuckDB write-ahead log behind the way a crashed writer does: a separate process commits
changes (automatic checkpoints off) and exits without closing the database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_WRITER = """
import os, sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("SET checkpoint_threshold = '10GB'")
con.execute("CREATE TABLE IF NOT EXISTS stock AS SELECT range AS sku, 0 AS qty FROM range(50000)")
con.execute("CHECKPOINT")
for step in range(20):
    con.execute("UPDATE stock SET qty = qty + 1 WHERE sku % 20 = ?", [step])
os._exit(0)
"""


def crash_after_writes(path: Path) -> None:
    subprocess.run([sys.executable, "-c", _WRITER, str(path)], check=True, timeout=120)
    wal = path.with_name(path.name + ".wal")
    assert wal.exists() and wal.stat().st_size > 0, "the writer left no WAL behind"
