"""Ledger rows added to a test warehouse the way a source adds them: landed as files and loaded.

The ledger's Bronze is a view over the loaded files (inventory_platform/bronze/in_place.py), so a test that
used to `INSERT INTO bronze.inventory_transactions SELECT <contract columns>, <lineage columns> ...` lands
the selected rows instead: one Parquet file per event day under `landing`, loaded now.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from inventory_platform.bronze.loader import landing_files, load_files
from inventory_platform.landing_contract import INVENTORY_TRANSACTIONS

_LEDGER_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+bronze\.inventory_transactions\s+", re.IGNORECASE)


def is_ledger_insert(sql: str) -> bool:
    return bool(_LEDGER_INSERT.match(sql))


def land_ledger_insert(con: duckdb.DuckDBPyConnection, sql: str, landing: Path, params: list | None = None) -> int:
    """Land the rows an `INSERT INTO bronze.inventory_transactions SELECT ...` would have added (its first
    seven columns are the contract's, in order, the eighth its batch id; the other lineage columns are
    ignored) and load them.
    Returns the rows loaded."""
    select = _LEDGER_INSERT.sub("", sql, count=1)
    names = ", ".join(INVENTORY_TRANSACTIONS.column_names)  # DuckDB renames the first columns, keeps the rest
    typed = ", ".join(f"CAST({c.name} AS {c.type}) AS {c.name}" for c in INVENTORY_TRANSACTIONS.columns)
    # The eighth column, the INSERT's _batch_id, names the load (tests find their rows by it).
    rows = con.execute(f"SELECT {typed}, CAST(batch AS VARCHAR) AS batch FROM ({select}) AS s({names}, batch)",
                       params or []).to_arrow_table()
    batch_id = rows.column("batch")[0].as_py() if rows.num_rows else None
    rows = rows.drop_columns(["batch"])
    existing = len(list(landing.rglob("*.parquet"))) if landing.exists() else 0
    for day in sorted({ts.as_py().date() for ts in rows.column("event_ts")}):
        folder = landing / INVENTORY_TRANSACTIONS.name / f"date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        mask = [ts.as_py().date() == day for ts in rows.column("event_ts")]
        pq.write_table(rows.filter(mask), folder / f"added-{existing:03d}.parquet")
    result = load_files(con, INVENTORY_TRANSACTIONS, landing_files(landing, INVENTORY_TRANSACTIONS),
                        landing.parent / "quarantine", batch_id=batch_id)
    assert not result.rejections, [r.message() for r in result.rejections]
    return result.rows_loaded
