"""A Bronze DuckDB file of simulated `tiny` data, loaded through the real ingestion code."""

from __future__ import annotations

from pathlib import Path

import duckdb

from inventory_platform.bronze.loader import landing_files, load_files
from inventory_platform.landing_contract import SOURCE_TABLES
from inventory_platform.simulation import simulate


def build_tiny_bronze(root: Path, seed: int) -> Path:
    simulate("tiny", seed, root / "landing", progress=False)
    path = root / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    try:
        for table in SOURCE_TABLES.values():
            result = load_files(con, table, landing_files(root / "landing", table), root / "quarantine",
                                landing_dir=root / "landing")
            assert not result.rejections, [r.message() for r in result.rejections]
    finally:
        con.close()
    return path
