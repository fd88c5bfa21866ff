"""What the cold tier's checks compare: committed Parquet against the totals recorded when it was offloaded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from inventory_platform.cold_tier import layout
from inventory_platform.cold_tier.layout import HOT_RELATIONS, LEDGER, MANIFEST
from inventory_platform.cold_tier.offload import MonthTotals, committed_cold_relation, committed_watermark, month_totals


@dataclass(frozen=True)
class Mismatch:
    table: str
    month: str
    recorded: tuple | None  # (rows, quantity sum, value sum) when offloaded
    found: tuple | None  # what the committed Parquet holds now

    def describe(self) -> str:
        return f"{self.table} {self.month}: offloaded {self.recorded}, Parquet now {self.found}"


def recorded_totals(con: duckdb.DuckDBPyConnection, table: str) -> MonthTotals:
    rows = con.execute(f"""
        select year, month, sum(row_count), sum(quantity_sum), sum(value_sum) from {MANIFEST}
        where table_name = ? and row_count > 0 group by all""", [table]).fetchall()
    return {(y, m): (int(n), int(q), v) for y, m, n, q, v in rows}


def manifest_exists(con: duckdb.DuckDBPyConnection) -> bool:
    schema, name = MANIFEST.split(".")
    return con.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                       [schema, name]).fetchone()[0] > 0


def cold_mismatches(con: duckdb.DuckDBPyConnection, cold_dir: Path) -> list[Mismatch]:
    """Per table and month: committed Parquet rows, quantity and value sums vs. the manifest (tampered,
    lost or extra files all show here)."""
    if not manifest_exists(con):
        return []
    mismatches = []
    for table in HOT_RELATIONS:
        recorded = recorded_totals(con, table)
        relation = committed_cold_relation(cold_dir, table)
        try:
            found = {} if relation is None else month_totals(con, relation, table)
        except duckdb.Error as exc:  # an unreadable (truncated, overwritten) file
            return [Mismatch(table, "all", None, (f"unreadable: {exc}",))]
        for year, month in sorted(recorded.keys() | found.keys()):
            if recorded.get((year, month)) != found.get((year, month)):
                mismatches.append(Mismatch(table, f"{year:04d}-{month:02d}", recorded.get((year, month)),
                                           found.get((year, month))))
    return mismatches


def hot_rows_in_closed_months(con: duckdb.DuckDBPyConnection) -> int:
    """Ledger rows in the hot tier older than the cold watermark: hidden by the union view (closed history)
    until the next offload moves them (late arrivals) or drops them (copies a rebuild re-created)."""
    if not manifest_exists(con):
        return 0
    watermark = committed_watermark(con)
    if watermark is None:
        return 0
    return con.execute(f"select count(*) from {HOT_RELATIONS[LEDGER]} where event_date < ?", [watermark]).fetchone()[0]


def cold_file_count(cold_dir: Path) -> int:
    return sum(len(layout.cold_files(cold_dir, table)) for table in HOT_RELATIONS)
