"""The cold tier's asset and its checks (its job and schedule: cold_tier/jobs.py).

ops/cold_tier_offload stands for the Parquet cold tier (INVENTORY_COLD_DIR) and its manifest table. Each
materialization moves ledger history older than INVENTORY_COLD_AFTER_MONTHS (36) before the newest event
date out of the warehouse (offload.py), then the job rebuilds the hot ∪ cold view
silver/fct_inventory_transactions_all_history and runs its reconciliation test. In production the offload is
the UNLOAD procedure in inventory_platform/cold_tier/redshift_cold_tier.sql, run outside Dagster: the asset is external there.
"""

import dagster as dg

from inventory_platform.cold_tier.offload import offload
from inventory_platform.cold_tier.reconcile import cold_file_count, cold_mismatches, hot_rows_in_closed_months
from inventory_platform.lib.duckdb_warehouse import connect_duckdb
from inventory_platform.monitoring.runbooks import RUNBOOK_METADATA_KEY
from inventory_platform.settings import Settings

COLD_TIER_KEY = dg.AssetKey(["ops", "cold_tier_offload"])
UNION_VIEW_KEY = dg.AssetKey(["silver", "fct_inventory_transactions_all_history"])
LEDGER_KEY = dg.AssetKey(["silver", "fct_inventory_transactions"])
BRONZE_LEDGER_KEY = dg.AssetKey(["bronze", "inventory_transactions"])
FILES_MATCH_CHECK = "cold_files_match_offloaded_totals"
NO_HIDDEN_ROWS_CHECK = "no_hot_rows_in_closed_months"
RUNBOOK = "ops_runbooks/runbook_cold_tier.md"

DESCRIPTION = (
    "The cold tier: ledger history older than the retention window (INVENTORY_COLD_AFTER_MONTHS, 36 months "
    "before the newest event date, whole months) as Parquet partitioned year=/month= under INVENTORY_COLD_DIR "
    "(locally) or S3 with a Spectrum external table (production), for silver.fct_inventory_transactions and "
    "the raw Bronze rows of the same transactions. Each offload writes to staging, verifies counts and "
    "quantity/value sums against the hot rows, moves the files into place, then records them in "
    "silver.cold_tier_partitions and deletes the hot rows in one transaction. Query all history through "
    f"silver/fct_inventory_transactions_all_history. Restore: {RUNBOOK}."
)


def _check_specs() -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(FILES_MATCH_CHECK, asset=COLD_TIER_KEY, description=(
            "Per table and month, the committed Parquet holds exactly the rows, quantity and value recorded "
            "when the month was offloaded (fails on lost, extra, altered or unreadable files).")),
        dg.AssetCheckSpec(NO_HIDDEN_ROWS_CHECK, asset=COLD_TIER_KEY, additional_deps=[LEDGER_KEY], description=(
            "Warns while the hot ledger holds rows older than the cold watermark (late arrivals to closed "
            "history, or copies a full refresh re-created): the union view hides them until the next offload.")),
    ]


def _files_match_result(settings: Settings) -> dg.AssetCheckResult:
    with connect_duckdb(settings.duckdb_path, read_only=True) as con:
        mismatches = cold_mismatches(con, settings.cold_dir)
    return dg.AssetCheckResult(
        asset_key=COLD_TIER_KEY, check_name=FILES_MATCH_CHECK, passed=not mismatches,
        description="; ".join(m.describe() for m in mismatches[:10]) or "every offloaded month matches",
        metadata={"mismatched_months": len(mismatches), "cold_files": cold_file_count(settings.cold_dir)})


def _hidden_rows_result(settings: Settings) -> dg.AssetCheckResult:
    with connect_duckdb(settings.duckdb_path, read_only=True) as con:
        hidden = hot_rows_in_closed_months(con)
    return dg.AssetCheckResult(
        asset_key=COLD_TIER_KEY, check_name=NO_HIDDEN_ROWS_CHECK, passed=hidden == 0,
        severity=dg.AssetCheckSeverity.WARN, metadata={"hot_rows_older_than_watermark": hidden},
        description=f"{hidden} hot ledger rows older than the cold watermark" if hidden else "none")


def build_cold_tier_asset(settings: Settings) -> dg.AssetsDefinition:
    @dg.asset(key=COLD_TIER_KEY, deps=[LEDGER_KEY, BRONZE_LEDGER_KEY], description=DESCRIPTION,
              kinds={"python", "parquet", settings.warehouse_kind}, pool="duckdb_writer",
              metadata={RUNBOOK_METADATA_KEY: dg.MetadataValue.path(RUNBOOK)})
    def cold_tier_offload(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        with connect_duckdb(settings.duckdb_path) as con:
            result = offload(con, settings.cold_dir, settings.cold_after_months)
        context.log.info(f"cold tier: {result}")
        return dg.MaterializeResult(metadata={
            "offload_id": result.offload_id or "none (nothing older than the cutoff)",
            "cutoff_date": str(result.cutoff) if result.cutoff else "none (empty ledger)",
            "ledger_rows_offloaded": result.rows_written.get("fct_inventory_transactions", 0),
            "bronze_rows_offloaded": result.rows_written.get("bronze_inventory_transactions", 0),
            "hot_rows_deleted": sum(result.hot_rows_deleted.values()),
            "already_cold_rows_dropped": result.already_cold_rows,
            "uncommitted_files_removed": result.orphan_files_removed,
            "months": ", ".join(result.months) or "none",
            "cold_dir": dg.MetadataValue.path(str(settings.cold_dir)),
        })

    return cold_tier_offload


def build_cold_tier_checks(settings: Settings) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(specs=_check_specs(), name="cold_tier_checks", can_subset=True, pool="duckdb_writer")
    def cold_tier_checks(context: dg.AssetCheckExecutionContext):
        selected = {key.name for key in context.selected_asset_check_keys}
        if FILES_MATCH_CHECK in selected:
            yield _files_match_result(settings)
        if NO_HIDDEN_ROWS_CHECK in selected:
            yield _hidden_rows_result(settings)

    return cold_tier_checks


def external_cold_tier_spec(settings: Settings) -> dg.AssetSpec:
    """Production: the offload runs as inventory_platform/cold_tier/redshift_cold_tier.sql (UNLOAD + Spectrum), outside Dagster."""
    return dg.AssetSpec(key=COLD_TIER_KEY, deps=[LEDGER_KEY], description=DESCRIPTION,
                        kinds={"parquet", settings.warehouse_kind},
                        metadata={RUNBOOK_METADATA_KEY: dg.MetadataValue.path(RUNBOOK)})
