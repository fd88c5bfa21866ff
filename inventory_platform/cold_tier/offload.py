"""Move ledger history older than the retention window from the warehouse to the cold tier (Parquet).

One run, under the warehouse writer lock:
  1. remove files of runs that never committed (a crash after their files were moved into place);
  2. cutoff = first day of the month `cold_after_months` before the newest event date (never earlier
     than the last committed cutoff); candidates = hot ledger rows older than it, and the Bronze files
     of days before it;
  3. write the ledger candidates to a staging folder, read the files back and compare counts and
     quantity/value sums per month with the hot rows (any difference: staging removed, nothing else touched);
  4. move the files into their partitions (same filesystem: each an atomic rename);
  5. one transaction: manifest rows in, hot rows out, the Bronze files marked offloaded in the load log.
Bronze is the landed Parquet read in place (bronze/in_place.py), already Parquet: it is not copied again.
Its files of offloaded days leave the hot view `bronze.inventory_transactions` for its twin
`bronze.inventory_transactions_offloaded`, which the cold tier's reconciliation reads like a cold table.
A re-run with nothing older than the cutoff writes nothing. Candidates already committed to the cold tier
(hot copies re-created by a rebuild) are deleted from the hot tier without being written again.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from inventory_platform.bronze import in_place
from inventory_platform.cold_tier import layout
from inventory_platform.cold_tier.layout import BRONZE_LEDGER, HOT_RELATIONS, LEDGER, MANIFEST, PARTITION_DATE
from inventory_platform.landing_contract import folder_day_sql
from inventory_platform.lib.sql_quoting import quote_literal

# (year, month) -> (rows, quantity sum, value sum)
MonthTotals = dict[tuple[int, int], tuple[int, int, object]]


class OffloadVerificationError(RuntimeError):
    """The Parquet written to staging does not hold exactly the hot rows it was written from."""


@dataclass
class OffloadResult:
    offload_id: str | None
    cutoff: date | None
    rows_written: dict[str, int] = field(default_factory=dict)
    hot_rows_deleted: dict[str, int] = field(default_factory=dict)
    already_cold_rows: int = 0
    orphan_files_removed: int = 0
    months: list[str] = field(default_factory=list)

    @property
    def moved_anything(self) -> bool:
        return any(self.hot_rows_deleted.values())


def cutoff_for(newest: date, months: int) -> date:
    """First day of the month `months` before the newest event date's month: rows before it are older
    than `months` months (whole months move, so a partition is written once)."""
    index = newest.year * 12 + newest.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def committed_offload_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(f"select distinct offload_id from {MANIFEST}").fetchall()}


def committed_watermark(con: duckdb.DuckDBPyConnection) -> date | None:
    return con.execute(f"select max(cutoff_date) from {MANIFEST} where table_name = ?", [LEDGER]).fetchone()[0]


def committed_cold_relation(cold_dir: Path, table: str) -> str | None:
    """SQL for the committed rows of one cold table (None while the table has no files). Bronze's are its
    landed files of offloaded days, read in place."""
    if table == BRONZE_LEDGER:
        return layout.BRONZE_OFFLOADED
    if not layout.cold_files(cold_dir, table):
        return None
    return (f"(select * from read_parquet({quote_literal(layout.table_glob(cold_dir, table))}, hive_partitioning = true) "
            f"where offload_id in (select offload_id from {MANIFEST} where table_name = {quote_literal(table)}))")


def month_totals(con: duckdb.DuckDBPyConnection, relation: str, table: str) -> MonthTotals:
    """Per (year, month): rows, quantity sum, value sum (the ledger's extended_value_local; none for Bronze)."""
    day = PARTITION_DATE[table]
    value = "sum(extended_value_local)" if table == LEDGER else "cast(null as decimal(38, 4))"
    rows = con.execute(f"""
        select year({day}), month({day}), count(*), coalesce(sum(quantity), 0), {value}
        from {relation} group by all""").fetchall()
    return {(y, m): (n, q, v) for y, m, n, q, v in rows}


def remove_uncommitted_files(con: duckdb.DuckDBPyConnection, cold_dir: Path) -> int:
    """Delete staging leftovers and files whose offload never committed (never read: no manifest rows)."""
    committed = committed_offload_ids(con)
    removed = 0
    for table in HOT_RELATIONS:
        for path in layout.cold_files(cold_dir, table):
            offload_id = layout.offload_id_of(path)
            if offload_id is not None and offload_id not in committed:  # files not named by an offload are left alone
                path.unlink()
                removed += 1
    shutil.rmtree(cold_dir / layout.STAGING, ignore_errors=True)
    return removed


def _stage_candidates(con: duckdb.DuckDBPyConnection, cold_dir: Path, cutoff: date) -> int:
    """Temp tables: ledger rows older than the cutoff not yet committed cold, and the hot Bronze files of
    days before the cutoff (`offload_bronze_files`). Returns how many ledger rows were already committed
    cold (hot copies re-created by a rebuild: deleted, not written again)."""
    con.execute(f"create or replace temp table offload_candidates as "
                f"select * from {HOT_RELATIONS[LEDGER]} where event_date < ?", [cutoff])
    # Every Bronze file of an offloaded day, whether its rows are already cold or not: a file holds one day.
    con.execute(f"""
        create or replace temp table offload_bronze_files as
        select load_file_key from {in_place.LOAD_LOG}
        where source_table = ? and status = 'loaded' and offload_id is null and read_path is not null
          and {folder_day_sql('source_file')} < ?""",
                [layout.BRONZE_SOURCE.name, cutoff])
    cold = committed_cold_relation(cold_dir, LEDGER)
    already = 0
    if cold is not None:
        con.execute(f"""
            create or replace temp table already_cold as
            select c.transaction_id from offload_candidates as c
            where c.transaction_id in (
                select transaction_id from {cold} as cold
                where cold.year * 100 + cold.month in (
                    select distinct year(event_date) * 100 + month(event_date) from offload_candidates))""")
        already = con.execute("select count(*) from already_cold").fetchone()[0]
        con.execute("delete from offload_candidates where transaction_id in (select transaction_id from already_cold)")
    return already


def _bronze_files_relation() -> str:
    """The Bronze rows of the files about to be offloaded (read through the hot view)."""
    return (f"(select * from {HOT_RELATIONS[BRONZE_LEDGER]} where _source_file in ("
            f"select source_file from {in_place.LOAD_LOG} where load_file_key in (select load_file_key from offload_bronze_files)))")


def _write_staging(con: duckdb.DuckDBPyConnection, staging: Path, offload_id: str) -> dict[str, int]:
    """The ledger candidates as Parquet in staging; Bronze is already Parquet: its rows are counted, not written."""
    staging.mkdir(parents=True, exist_ok=True)
    written = {LEDGER: con.execute("select count(*) from offload_candidates").fetchone()[0],
               BRONZE_LEDGER: con.execute(f"""select coalesce(sum(rows_loaded), 0) from {in_place.LOAD_LOG}
                   where load_file_key in (select load_file_key from offload_bronze_files)""").fetchone()[0]}
    if written[LEDGER]:
        day = PARTITION_DATE[LEDGER]
        con.execute(f"""
            copy (select *, {quote_literal(offload_id)} as offload_id, year({day}) as year, month({day}) as month
                  from offload_candidates)
            to {quote_literal(str(staging / LEDGER))}
            (format parquet, partition_by (year, month), filename_pattern {quote_literal(layout.file_pattern(offload_id))})""")
    return written


def _verify_staging(con: duckdb.DuckDBPyConnection, staging: Path, written: dict[str, int]) -> dict[str, MonthTotals]:
    """Per month, the staged ledger Parquet against the hot rows; the Bronze files' totals as read in place
    (recorded in the manifest, so the cold tier's check notices a file changed or lost later)."""
    expected = month_totals(con, "offload_candidates", LEDGER)
    actual = {} if written[LEDGER] == 0 else month_totals(
        con, f"read_parquet({quote_literal(layout.table_glob(staging, LEDGER))}, hive_partitioning = true)", LEDGER)
    if actual != expected:
        diff = sorted(k for k in expected.keys() | actual.keys() if expected.get(k) != actual.get(k))
        raise OffloadVerificationError(
            f"cold tier staging {staging / LEDGER}: Parquet differs from the hot rows in months {diff[:5]} "
            f"(hot {[expected.get(k) for k in diff[:5]]}, parquet {[actual.get(k) for k in diff[:5]]})")
    bronze = {} if written[BRONZE_LEDGER] == 0 else month_totals(con, _bronze_files_relation(), BRONZE_LEDGER)
    return {LEDGER: expected, BRONZE_LEDGER: bronze}


def move_into_place(staging: Path, cold_dir: Path) -> list[Path]:
    """Rename every staged file into its partition (atomic per file on one filesystem)."""
    moved = []
    for table in HOT_RELATIONS:
        for path in sorted((staging / table).glob("year=*/month=*/*.parquet")):
            target = cold_dir / table / path.relative_to(staging / table)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            moved.append(target)
    return moved


def commit_offload(con: duckdb.DuckDBPyConnection, offload_id: str, cutoff: date, now: datetime,
                   totals: dict[str, MonthTotals]) -> dict[str, int]:
    """The one transaction that makes the moved files visible and removes their hot rows."""
    con.execute("begin transaction")
    try:
        for table, months in totals.items():
            for (year, month), (rows, quantity, value) in sorted(months.items()):
                con.execute(f"insert into {MANIFEST} values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [table, year, month, offload_id, cutoff, rows, quantity, value, now])
        if not any(table == LEDGER for table in totals):  # only hot copies deleted: still record the cutoff
            con.execute(f"insert into {MANIFEST} values (?, 0, 0, ?, ?, 0, 0, null, ?)", [LEDGER, offload_id, cutoff, now])
        deleted = {
            BRONZE_LEDGER: con.execute(f"""
                update {in_place.LOAD_LOG} set offload_id = ?
                where load_file_key in (select load_file_key from offload_bronze_files)
                returning rows_loaded""", [offload_id]).fetchall(),
            LEDGER: con.execute(f"delete from {HOT_RELATIONS[LEDGER]} where event_date < ?", [cutoff]).fetchone()[0],
        }
        deleted[BRONZE_LEDGER] = sum(n for n, in deleted[BRONZE_LEDGER])
        in_place.create_views(con, layout.BRONZE_SOURCE)  # the offloaded files leave the hot view
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return deleted


def offload(con: duckdb.DuckDBPyConnection, cold_dir: Path, cold_after_months: int,
            now: datetime | None = None) -> OffloadResult:
    """Offload on an open writer connection (see the module docstring)."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    con.execute(layout.MANIFEST_DDL)
    orphans = remove_uncommitted_files(con, cold_dir)
    newest = con.execute(f"select max(event_date) from {HOT_RELATIONS[LEDGER]}").fetchone()[0]
    if newest is None:
        return OffloadResult(None, None, orphan_files_removed=orphans)
    cutoff = max(filter(None, [cutoff_for(newest, cold_after_months), committed_watermark(con)]))
    hot_old = con.execute(f"select count(*) from {HOT_RELATIONS[LEDGER]} where event_date < ?", [cutoff]).fetchone()[0]
    if hot_old == 0:
        return OffloadResult(None, cutoff, orphan_files_removed=orphans)

    offload_id = f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    staging = cold_dir / layout.STAGING / offload_id
    already = _stage_candidates(con, cold_dir, cutoff)
    try:
        written = _write_staging(con, staging, offload_id)
        totals = _verify_staging(con, staging, written)
        move_into_place(staging, cold_dir)
    finally:
        shutil.rmtree(cold_dir / layout.STAGING, ignore_errors=True)
    deleted = commit_offload(con, offload_id, cutoff, now, {t: m for t, m in totals.items() if m})
    return OffloadResult(
        offload_id, cutoff, rows_written=written, hot_rows_deleted=deleted, already_cold_rows=already,
        orphan_files_removed=orphans,
        months=sorted(f"{y:04d}-{m:02d}" for y, m in totals[LEDGER]),
    )
