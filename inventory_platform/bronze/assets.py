"""One Bronze asset per landing-zone source: append-only loads with load metadata and quarantine."""


import warnings
from datetime import UTC, date, timedelta
from pathlib import Path

import dagster as dg

from inventory_platform.bronze import in_place
from inventory_platform.bronze.landing_accounting import ACCOUNTING_CHECK, Accounting, account_for_landing, file_rows
from inventory_platform.bronze.landing_zone import LandingZone
from inventory_platform.bronze.loader import BRONZE_SCHEMA, LOAD_METADATA_COLUMNS, ensure_bronze_tables, landing_files, load_files, merged
from inventory_platform.bronze.validation import Rejection
from inventory_platform.landing_contract import SOURCE_TABLES, SourceTable, folder_day_sql
from inventory_platform.lib.duckdb_warehouse import DuckDBWarehouse
from inventory_platform.lib.sql_quoting import quote_ident
from inventory_platform.transform.materialization_metadata import newest_event_value

QUARANTINE_CHECK = "no_unresolved_quarantined_files"
FILES_UNCHANGED_CHECK = "bronze_files_unchanged"
_DAYS_PER_BATCH = 31
# Single-run backfills of the daily ledger are intended; the parameter is still labelled beta.
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)
_LOAD_METADATA_DESCRIPTIONS = {
    "_batch_id": "Bronze batch (one per asset run) that loaded the row.",
    "_source_file": "Landing file the row came from.",
    "_source_row": "Row number within the landing file (1-based, header excluded).",
    "_loaded_at": "When the row was loaded (UTC).",
    "_row_hash": "md5 of the row's contract columns, for change detection (computed when read, not stored).",
    "_load_file_key": "The landed file's key in bronze.load_log (the lineage pointer Silver rows keep).",
}


def column_schema(table: SourceTable) -> dg.TableSchema:
    columns = [dg.TableColumn(c.name, c.type, c.description) for c in table.columns]
    columns += [dg.TableColumn(name, typ, _LOAD_METADATA_DESCRIPTIONS[name])
                for name, typ in (*LOAD_METADATA_COLUMNS, ("_row_hash", "VARCHAR"))]
    if in_place.reads_in_place(table):
        columns.append(dg.TableColumn("_load_file_key", "BIGINT", _LOAD_METADATA_DESCRIPTIONS["_load_file_key"]))
    return dg.TableSchema(columns=columns)


def bronze_description(table: SourceTable, loaded: str, local: bool = True) -> str:
    kept = ("The landed Parquet read in place (a view over every loaded file, joined to the load log; CSV typed "
            "once into the Bronze store), with load metadata" if local and in_place.reads_in_place(table)
            else "Append-only copy of the landing files with load metadata")
    return (
        f"{table.description} {loaded} {kept}; a file is "
        "loaded once (by content hash), and a file that breaks the data contract is quarantined whole "
        "with a reason naming file, row and column."
        + (" Partitioned by event day; a range of days loads in one run." if table.partitioned_by_day else "")
        + f"\n\n**Grain:** one row per row of a landed file; the business key is ({', '.join(table.key)}), "
        "and a corrected resend adds rows (Silver keeps the latest load per key)."
    )


def unresolved_quarantine(con, table: SourceTable) -> list[tuple]:
    """Quarantined files of the table not yet superseded by a later successful load of the same path."""
    return con.execute(
        f"""SELECT q.source_file, q.row_number, q.column_name, q.reason, q.quarantined_at
            FROM {BRONZE_SCHEMA}.quarantine AS q
            WHERE q.source_table = ? AND NOT EXISTS (
                SELECT 1 FROM {BRONZE_SCHEMA}.load_log AS l
                WHERE l.source_table = q.source_table AND l.source_file = q.source_file
                  AND l.status = 'loaded' AND l.loaded_at > q.quarantined_at)
            ORDER BY q.quarantined_at, q.source_file""",
        [table.name],
    ).fetchall()


def _partition_days(context: dg.AssetExecutionContext) -> list[date]:
    window = context.partition_time_window
    days, day = [], window.start.date()
    while day < window.end.date():
        days.append(day)
        day += timedelta(days=1)
    return days


def _day_batches(days: list[date]) -> list[list[date]]:
    """A backfill loads in batches of at most _DAYS_PER_BATCH days, each committed on its own: one
    transaction for four years held 302M uncommitted rows in memory and temp files at `medium`. A batch
    that fails leaves the earlier ones loaded; a rerun loads only the files not loaded yet."""
    return [days[i:i + _DAYS_PER_BATCH] for i in range(0, len(days), _DAYS_PER_BATCH)] or [[]]


def build_bronze_asset(table: SourceTable, daily_partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    key = dg.AssetKey(["bronze", table.name])
    partitioned = table.partitioned_by_day

    @dg.asset(
        key=key,
        description=bronze_description(table, "Loaded by this asset from the local landing zone."),
        kinds={"python", "duckdb"},
        metadata={"dagster/column_schema": column_schema(table), "dagster/table_name": f"{BRONZE_SCHEMA}.{table.name}"},
        partitions_def=daily_partitions if partitioned else None,
        backfill_policy=dg.BackfillPolicy.single_run() if partitioned else None,
        check_specs=[
            dg.AssetCheckSpec(
                QUARANTINE_CHECK, asset=key,
                description="Fails while a landing file of this source sits in quarantine without a corrected reload."),
            dg.AssetCheckSpec(
                ACCOUNTING_CHECK, asset=key,
                description="Every file landed for this source is loaded or quarantined, with every row: fails naming "
                            "each file (and its rows) that no load has read, whatever the reason — a folder that is "
                            "not a day, a day outside the daily partitions, a partition not yet materialized."),
            *([dg.AssetCheckSpec(
                FILES_UNCHANGED_CHECK, asset=key,
                description="Bronze reads the loaded files in place: fails naming every loaded file that is gone or "
                            "whose size or modification time differs from what the load log recorded.")]
              if in_place.reads_in_place(table) else []),
        ],
        pool="duckdb_writer",
    )
    def _bronze(context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse, landing: LandingZone):
        batches = _day_batches(_partition_days(context)) if partitioned else [None]
        batch_ids = [f"{table.name}-{context.run.run_id[:8]}" + (f"-{n:03d}" if len(batches) > 1 else "")
                     for n in range(len(batches))]
        with warehouse.connect() as con:
            for source in SOURCE_TABLES.values():  # Silver reads every Bronze table, landed yet or not
                ensure_bronze_tables(con, source)
            result = merged([
                load_files(con, table, landing_files(Path(landing.path), table, days), Path(landing.quarantine_path),
                           batch_id=batch_id, landing_dir=Path(landing.path))
                for batch_id, days in zip(batch_ids, batches, strict=True)])
            accounting = account_for_landing(con, table, Path(landing.path), _partition_bounds(daily_partitions)
                                             if partitioned else None, batch_ids)
            total_rows, last_loaded = _rows_and_last_load(con, table)
            newest_day = _newest_event_day(con, table) if partitioned else None
            unresolved = unresolved_quarantine(con, table)
            changed = in_place.changed_files(con, table) if in_place.reads_in_place(table) else None
        for rejection in result.rejections:
            context.log.error(f"Quarantined {rejection.message()}")
        context.log.info(f"{table.name}: {result.rows_loaded} rows from {len(result.files_loaded)} files; "
                         f"{result.files_skipped} files already loaded; {len(result.rejections)} quarantined")
        yield dg.MaterializeResult(metadata={
            "dagster/row_count": total_rows,
            # When the table last gained rows (a run that finds no new file changes nothing).
            **({"dagster/last_updated_timestamp": dg.MetadataValue.timestamp(
                last_loaded.replace(tzinfo=UTC))} if last_loaded else {}),
            **newest_event_value(newest_day),  # how new the data is (check data_is_current), not the load
            "rows_loaded": result.rows_loaded,
            "files_loaded": len(result.files_loaded),
            "files_skipped_already_loaded": result.files_skipped,
            "files_quarantined": len(result.rejections),
            "batch_id": result.batch_id,  # the last batch of a backfill
            "quarantined": dg.MetadataValue.md("\n".join(f"- {r.message()}" for r in result.rejections) or "none"),
        })
        yield quarantine_check_result(unresolved)
        yield accounting_check_result(context, accounting)
        if changed is not None:
            yield files_unchanged_check_result(changed)

    return _bronze


def _rows_and_last_load(con, table: SourceTable) -> tuple[int, object]:
    """Rows Bronze serves and its newest load; for a table read in place from the load log (the view would
    read every file's row numbers to count)."""
    if in_place.reads_in_place(table):
        return con.execute(f"""SELECT coalesce(sum(rows_loaded), 0), max(loaded_at) FROM {BRONZE_SCHEMA}.load_log
                               WHERE source_table = ? AND status = 'loaded' AND offload_id IS NULL""",
                           [table.name]).fetchone()
    return con.execute(f"SELECT count(*), max(_loaded_at) FROM {BRONZE_SCHEMA}.{quote_ident(table.name)}").fetchone()


def _newest_event_day(con, table: SourceTable):
    """The newest event day Bronze holds. Read in place, from the load log: every row of a file is of its
    date=YYYY-MM-DD folder's day (validation quarantines a file otherwise), so no file is read."""
    if in_place.reads_in_place(table):
        return con.execute(f"""SELECT max({folder_day_sql('source_file')})
                               FROM {BRONZE_SCHEMA}.load_log
                               WHERE source_table = ? AND status = 'loaded' AND rows_loaded > 0""",
                           [table.name]).fetchone()[0]
    return con.execute(f"SELECT max(CAST({quote_ident(table.day_column)} AS DATE)) "
                       f"FROM {BRONZE_SCHEMA}.{quote_ident(table.name)}").fetchone()[0]


def files_unchanged_check_result(changed: list[in_place.ChangedFile]) -> dg.AssetCheckResult:
    """Red while a file Bronze reads in place is gone or changed: its rows are no longer what was loaded."""
    return dg.AssetCheckResult(
        check_name=FILES_UNCHANGED_CHECK,
        passed=not changed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(f"{len(changed)} loaded file(s) gone or changed since loaded: "
                     f"{'; '.join(c.message() for c in changed[:3])}" + (" …" if len(changed) > 3 else "")
                     if changed else "every loaded file unchanged"),
        metadata={"changed_files": len(changed),
                  "files": dg.MetadataValue.md("\n".join(f"- {c.message()}" for c in changed[:200]) or "none")},
    )


def quarantine_check_result(unresolved: list[tuple]) -> dg.AssetCheckResult:
    """Red while a quarantined file's rows are missing from Bronze (and so from Gold)."""
    rows = {f: file_rows(Path(f)) for f, *_ in unresolved}
    return dg.AssetCheckResult(
        check_name=QUARANTINE_CHECK,
        passed=not unresolved,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(f"{len(unresolved)} landing file(s), {sum(n or 0 for n in rows.values()):,} rows, in quarantine"
                     if unresolved else "no file in quarantine"),
        metadata={"quarantined_files": dg.MetadataValue.md("\n".join(
            f"- {Rejection(Path(f), reason, r, c).message()}; "
            f"{'its rows' if rows[f] is None else f'{rows[f]:,} rows'} not loaded"
            for f, r, c, reason, _ in unresolved) or "none")},
    )


def _partition_bounds(partitions: dg.TimeWindowPartitionsDefinition) -> tuple[date, date] | None:
    first, last = partitions.get_first_partition_key(), partitions.get_last_partition_key()
    return (date.fromisoformat(first), date.fromisoformat(last)) if first and last else None


def accounting_check_result(context: dg.AssetExecutionContext, accounting: Accounting) -> dg.AssetCheckResult:
    """Red (error) while a landed file can never load as it stands; a warning while files wait only for
    their partition to be materialized."""
    for u in accounting.blocking:
        context.log.error(f"Landed file not in Bronze: {u.message()}")
    missing = accounting.unaccounted
    return dg.AssetCheckResult(
        check_name=ACCOUNTING_CHECK,
        passed=not missing,
        severity=dg.AssetCheckSeverity.ERROR if accounting.blocking else dg.AssetCheckSeverity.WARN,
        description=(f"{len(missing)} landed file(s), {sum(u.rows or 0 for u in missing):,} rows, not in Bronze"
                     if missing else f"all {accounting.landed} landed files loaded or quarantined"),
        metadata={
            "landed_files": accounting.landed,
            "loaded_files": accounting.loaded,
            "quarantined_files": accounting.quarantined,
            "unaccounted_files": len(missing),
            "unaccounted_rows": sum(u.rows or 0 for u in missing),
            "not_in_bronze": dg.MetadataValue.md("\n".join(f"- {u.message()}" for u in missing[:200]) or "none"),
        },
    )


def build_bronze_assets(daily_partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    return [build_bronze_asset(t, daily_partitions) for t in SOURCE_TABLES.values()]


def external_bronze_specs(daily_partitions: dg.PartitionsDefinition) -> list[dg.AssetSpec]:
    """Bronze on Redshift: the same tables, loaded outside this code location (COPY from the S3
    landing zone, streaming ingestion), so Dagster records lineage and freshness but does not load them."""
    return [
        dg.AssetSpec(
            key=dg.AssetKey(["bronze", t.name]),
            description=bronze_description(t, "Loaded into Redshift from the S3 landing zone outside Dagster.", local=False),
            kinds={"redshift", "s3"},
            metadata={"dagster/column_schema": column_schema(t), "dagster/table_name": f"{BRONZE_SCHEMA}.{t.name}"},
            partitions_def=daily_partitions if t.partitioned_by_day else None,
        )
        for t in SOURCE_TABLES.values()
    ]
