"""auto_maintenance: the nightly housekeeping a warehouse needs to stay fast and small.

- DuckDB: ANALYZE (refresh the optimizer's statistics) then CHECKPOINT (fold the write-ahead log into
  the file so its blocks can be reused; a WAL left behind by a crashed writer is replayed on every open).
  Then the SHA-256 of every landed file Bronze reads in place (bronze/in_place.py) against the load log:
  the check `bronze_files_unchanged` compares only size and modification time on every load.
- Redshift: VACUUM the platform tables whose rows are out of sort order or that hold deleted rows not
  yet reclaimed, ANALYZE those whose statistics are stale. Which tables comes from svv_table_info
  (query `redshift_tables_needing_maintenance`) against INVENTORY_VACUUM_UNSORTED_PCT and
  INVENTORY_ANALYZE_STATS_OFF_PCT; Redshift's automatic vacuum and analyze lag on busy clusters.

The job that runs it (monitoring/jobs.py) is in the `duckdb_writer` pool, so it never overlaps a load or a
dbt build.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from inventory_platform.bronze import in_place
from inventory_platform.landing_contract import SOURCE_TABLES
from inventory_platform.lib.duckdb_warehouse import DuckDBWarehouse
from inventory_platform.lib.sql_quoting import quote_ident
from inventory_platform.monitoring.disk_usage import read_duckdb_usage
from inventory_platform.monitoring.queries import monitoring_query
from inventory_platform.settings import Settings


@dataclass(frozen=True)
class MaintenanceAction:
    table: str
    statement: str
    reason: str


def plan_redshift_maintenance(rows: Iterable[Sequence], unsorted_pct: float, stats_off_pct: float) -> list[MaintenanceAction]:
    """VACUUM (sort and/or delete) and ANALYZE statements for the rows of `redshift_tables_needing_maintenance`."""
    actions = []
    for schema, table, tbl_rows, unsorted, stats_off, deleted_pct, _size_mb in rows:
        if not tbl_rows:
            continue
        name = f"{quote_ident(schema)}.{quote_ident(table)}"
        unsorted, stats_off, deleted = float(unsorted or 0), float(stats_off or 0), float(deleted_pct or 0)
        sort, delete = unsorted >= unsorted_pct, deleted >= unsorted_pct
        if sort or delete:
            mode = "FULL" if sort and delete else "SORT ONLY" if sort else "DELETE ONLY"
            reasons = ([f"{unsorted:g}% unsorted"] if sort else []) + ([f"{deleted:g}% deleted rows"] if delete else [])
            actions.append(MaintenanceAction(f"{schema}.{table}", f"VACUUM {mode} {name}",
                                             f"{' and '.join(reasons)} (threshold {unsorted_pct:g}%)"))
        if stats_off >= stats_off_pct:
            actions.append(MaintenanceAction(f"{schema}.{table}", f"ANALYZE {name}",
                                             f"statistics {stats_off:g}% off (threshold {stats_off_pct:g}%)"))
    return actions


def maintain_redshift(warehouse, settings: Settings, log) -> dict:
    rows = warehouse.query(monitoring_query("redshift_tables_needing_maintenance").sql)
    actions = plan_redshift_maintenance(rows, settings.vacuum_unsorted_pct, settings.analyze_stats_off_pct)
    failures = []
    for action in actions:  # one at a time: Redshift runs a single VACUUM per cluster anyway
        log.info(f"{action.statement}  -- {action.reason}")
        try:
            warehouse.query(action.statement)
        except Exception as exc:  # noqa: BLE001 - the rest still run; the job fails at the end
            failures.append(f"{action.statement}: {exc}")
            log.error(f"{action.statement} failed: {exc}")
    if failures:
        raise RuntimeError(f"{len(failures)} of {len(actions)} maintenance statements failed: " + "; ".join(failures))
    return {"tables_checked": len(rows), "statements": len(actions),
            "actions": dg.MetadataValue.md("\n".join(f"- `{a.statement}`: {a.reason}" for a in actions) or "none needed")}


def maintain_duckdb(warehouse: DuckDBWarehouse, log) -> dict:
    path = Path(warehouse.path)
    before = read_duckdb_usage(path)
    with warehouse.connect() as con:
        con.execute("ANALYZE")
        con.execute("CHECKPOINT")
        size = con.execute(monitoring_query("duckdb_database_size").sql).fetchone()
        changed = _bronze_files_changed(con)
    for c in changed:
        log.error(f"Bronze file changed since it was loaded: {c.message()}")
    after = read_duckdb_usage(path)
    log.info(f"ANALYZE and CHECKPOINT on {path}: WAL {before.details['wal_bytes']} -> {after.details['wal_bytes']} bytes")
    return {"statements": 2, "wal_bytes_before": before.details["wal_bytes"], "wal_bytes_after": after.details["wal_bytes"],
            "file_bytes_before": before.details["file_bytes"], "file_bytes_after": after.details["file_bytes"],
            "free_block_pct": float(size[6] or 0), "bronze_files_changed": len(changed)}


def _bronze_files_changed(con) -> list:
    """Landed files Bronze reads in place whose content no longer has the SHA-256 recorded at load."""
    if not con.execute("select count(*) from duckdb_tables() where schema_name = 'bronze' and table_name = 'load_log'").fetchone()[0]:
        return []
    in_place.ensure_load_log_columns(con)
    return [c for t in SOURCE_TABLES.values() if in_place.reads_in_place(t)
            for c in in_place.changed_files(con, t, verify_sha256=True)]
