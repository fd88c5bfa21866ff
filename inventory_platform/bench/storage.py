"""Where a built warehouse's bytes go: the disk figure of issue 18 (warehouse file + cold tier + Bronze store,
landing files excluded, per ledger row; Bronze reads the landed ledger files in place), DuckDB's used vs free blocks, and bytes per table.

A DuckDB file never shrinks: blocks freed by a dropped or rewritten table stay in the file until reused, so
the file size (what the disk pays) and the used blocks (what the data needs) are both reported."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from inventory_platform.bronze.in_place import STORE_FOLDER
from inventory_platform.lib.duckdb_warehouse import connect_duckdb


def tree_bytes(path: Path) -> int:
    """Bytes of the regular files under path (symlinks not followed: a landing view links to shared files)."""
    if not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _landing_bytes(landing: Path) -> int:
    """Bytes of the landed files, following the links a bench history's landing view is made of (the Bronze
    store inside the landing folder is warehouse data, counted apart)."""
    return sum((Path(folder) / name).stat().st_size
               for folder, _, names in os.walk(landing, followlinks=True) for name in names
               if STORE_FOLDER not in Path(folder).relative_to(landing).parts)


def table_bytes(con) -> dict[str, int]:
    """Bytes per table from DuckDB's storage info: each block is split evenly among the tables using it."""
    users: dict[int, set[str]] = defaultdict(set)
    tables = con.execute("select schema_name, table_name from duckdb_tables() where database_name = current_database() "
                         "and not temporary order by 1, 2").fetchall()
    for schema, table in tables:
        name = f"{schema}.{table}"
        quoted = ".".join('"' + part.replace('"', '""') + '"' for part in (schema, table))
        for block_id, extra in con.execute(
                "select block_id, additional_block_ids from pragma_storage_info(?) where persistent and block_id >= 0",
                [quoted]).fetchall():
            for block in (block_id, *(extra or ())):
                users[block].add(name)
    block_size = con.execute("select block_size from pragma_database_size()").fetchone()[0]
    shares: dict[str, float] = defaultdict(float)
    for names in users.values():
        for name in names:
            shares[name] += block_size / len(names)
    return {name: int(shares.get(name, 0)) for name in (f"{s}.{t}" for s, t in tables)}


def footprint(data_dir: Path, duckdb_path: Path, landing: Path, ledger_rows: int) -> dict:
    """The disk figure of a built platform instance and its parts."""
    wal = duckdb_path.with_name(duckdb_path.name + ".wal")
    file_bytes = tree_bytes(duckdb_path) + tree_bytes(wal)
    # Warehouse data outside the DuckDB file: the cold tier's Parquet, and Bronze's typed copies of landed files
    # that could not be read in place (CSV; Parquet not exactly of the contract's types).
    outside = {"cold": tree_bytes(data_dir / "cold"), "bronze_store": tree_bytes(landing / STORE_FOLDER)}
    with connect_duckdb(duckdb_path, read_only=True) as con:
        block_size, used, free = con.execute(
            "select block_size, used_blocks, free_blocks from pragma_database_size()").fetchone()
        tables = table_bytes(con)
    total = file_bytes + sum(outside.values())
    landing_bytes = _landing_bytes(landing)
    per_row = (lambda b: round(b / ledger_rows, 2)) if ledger_rows else (lambda b: None)
    return {
        "bytes_total": total, "bytes_per_ledger_row": per_row(total),
        "warehouse_file_bytes": file_bytes, **{f"{name}_bytes": b for name, b in outside.items()},
        "used_block_bytes": used * block_size, "free_block_bytes": free * block_size,
        "used_bytes_per_ledger_row": per_row(used * block_size + sum(outside.values())),
        "landing_bytes": landing_bytes, "landing_bytes_per_ledger_row": per_row(landing_bytes),
        "table_bytes": dict(sorted(tables.items(), key=lambda kv: -kv[1])),
    }
