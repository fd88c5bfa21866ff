"""The CDC Bronze table as a Dagster asset: loaded outside Dagster, its updates recorded by a sensor."""

import dagster as dg

from inventory_platform.cdc.conservation import OUTCOMES, read_conservation
from inventory_platform.cdc.local_stack import StreamNotRunning
from inventory_platform.cdc.status import CdcStatus, read_status
from inventory_platform.settings import Settings

CDC_EVENTS_KEY = dg.AssetKey(["bronze", "cdc_events"])
CDC_LAG_CHECK = "cdc_lag_within_threshold"
CDC_CONSERVATION_CHECK = "cdc_records_conserved"
RUNBOOK = "ops_runbooks/runbook_cdc_lag.md"

CDC_COLUMNS = dg.TableSchema(columns=[
    dg.TableColumn("stream_name", "VARCHAR", "Kinesis stream the record was read from (the clean stream)."),
    dg.TableColumn("shard_id", "VARCHAR", "Kinesis shard."),
    dg.TableColumn("sequence_number", "VARCHAR", "Kinesis sequence number: with the shard, the record's identity."),
    dg.TableColumn("partition_key", "VARCHAR", "<table>|<row key>: one row's changes share a shard, in order."),
    dg.TableColumn("approximate_arrival_timestamp", "TIMESTAMP", "When the record arrived in the clean stream (UTC)."),
    dg.TableColumn("payload", "VARCHAR", "The standardized change event (JSON; SUPER on Redshift): event_id, op, "
                                         "source {table, lsn, ts_ms, txid}, before, after."),
    dg.TableColumn("_loaded_at", "TIMESTAMP", "When the loader committed the record (UTC)."),
    dg.TableColumn("_batch_id", "VARCHAR", "Loader commit that wrote the record."),
])


LOADED_BY = {"duckdb": "the streaming loader (`inventory-platform stream run`), exactly once per record",
             "redshift": "the Redshift streaming-ingestion materialized view (AUTO REFRESH)"}


def cdc_events_spec(settings: Settings) -> dg.AssetSpec:
    loaded_by = LOADED_BY[settings.warehouse_kind]
    return dg.AssetSpec(
        key=CDC_EVENTS_KEY,
        description=(
            "Inventory changes streamed from the source systems (CDC): one row per record of the clean Kinesis "
            "stream, after the Lambda handler validated, standardized and deduplicated it (locally one row per "
            "source change: a redelivered change is skipped). Two source tables: "
            f"inventory transactions and stock levels. Appended by {loaded_by}; Dagster does not run the load, "
            "`cdc_bronze_sensor` records each update; the CDC applier (`stream apply`, started by `make dev`) "
            "runs the `cdc_microbatch` job as it grows."),
        kinds={"kinesis", settings.warehouse_kind},
        metadata={"dagster/column_schema": CDC_COLUMNS, "dagster/table_name": "bronze.cdc_events",
                  "runbook": dg.MetadataValue.path(RUNBOOK)},
    )


def lag_verdict(lag_seconds: float, warn_seconds: float, fail_seconds: float) -> tuple[bool, dg.AssetCheckSeverity]:
    """(passed, severity): pass below warn, WARN from warn, ERROR from fail."""
    if lag_seconds >= fail_seconds:
        return False, dg.AssetCheckSeverity.ERROR
    if lag_seconds >= warn_seconds:
        return False, dg.AssetCheckSeverity.WARN
    return True, dg.AssetCheckSeverity.WARN


NO_STREAM = "no local stream is running (`inventory-platform stream up` starts one): nothing is waiting to be loaded"


def lag_check_result(settings: Settings, status: CdcStatus | None) -> dict:
    """The check's outcome for a stream's status; None when no local stream runs (a pass: no record can wait)."""
    if status is None:
        return {"passed": True, "severity": dg.AssetCheckSeverity.WARN, "description": NO_STREAM,
                "metadata": {"stream_running": False, "runbook": dg.MetadataValue.path(RUNBOOK)}}
    passed, severity = lag_verdict(status.lag_seconds, settings.cdc_lag_warn_seconds, settings.cdc_lag_fail_seconds)
    return {
        "passed": passed,
        "severity": severity,
        "description": (f"CDC lag {status.lag_seconds:.1f} s (warn at {settings.cdc_lag_warn_seconds:g} s, "
                        f"fail at {settings.cdc_lag_fail_seconds:g} s); runbook {RUNBOOK}"),
        "metadata": {"lag_seconds": status.lag_seconds, "raw_records_waiting": status.raw_unprocessed,
                     "clean_records_waiting": status.clean_unloaded, "dead_letters": status.dead_letters,
                     "warn_seconds": settings.cdc_lag_warn_seconds, "fail_seconds": settings.cdc_lag_fail_seconds,
                     "runbook": dg.MetadataValue.path(RUNBOOK)},
    }


def read_status_if_running(settings: Settings) -> CdcStatus | None:
    try:
        return read_status(settings)
    except StreamNotRunning:
        return None


# `make demo` runs no sensor, so the description says first who evaluates the check, per engine.
_LAG = "Age of the oldest CDC record not yet in Bronze, against the configured thresholds"
LAG_CHECK_DESCRIPTION = {
    "duckdb": ("Evaluated only by cdc_lag_sensor under `make dev` (every 30 s while a local stream runs, once when "
               f"it finds none), or on demand. {_LAG}; passes when no local stream is running: no record can wait."),
    "redshift": ("Evaluated only on demand; in production the CloudWatch alarm on the raw stream's "
                 f"GetRecords.IteratorAgeMilliseconds watches lag (docs/deploy_redshift.md). {_LAG}."),
}


def build_cdc_lag_check(settings: Settings) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=CDC_EVENTS_KEY, name=CDC_LAG_CHECK, blocking=False,
                    description=LAG_CHECK_DESCRIPTION[settings.warehouse_kind])
    def _cdc_lag() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(**lag_check_result(settings, read_status_if_running(settings)))

    return _cdc_lag


def conservation_check_result(conservation) -> dict:
    return {
        "passed": conservation.holds,
        "severity": dg.AssetCheckSeverity.ERROR,
        "description": conservation.summary(),
        "metadata": {**{m: conservation.total(m) for m in ("read", *OUTCOMES, "not_read_yet")},
                     "per_shard": dg.MetadataValue.json({s: f.as_dict() for s, f in conservation.shards.items()}),
                     "missing_examples": dg.MetadataValue.json(conservation.missing_examples),
                     "runbook": dg.MetadataValue.path(RUNBOOK)},
    }


def build_cdc_conservation_check(settings: Settings) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=CDC_EVENTS_KEY, name=CDC_CONSERVATION_CHECK, blocking=False,
                    description="Evaluated only on demand (Execute in the UI), as it reads the whole retained raw "
                                "stream. Every record the CDC handler read from the raw stream is accounted for: CDC "
                                "records read = clean (in Bronze) + dead-lettered + deduplicated + in flight on the "
                                "clean stream + sent to the failure destination, per shard; fails naming the records "
                                "that are none of these.")
    def _cdc_conserved() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(**conservation_check_result(read_conservation(settings)))

    return _cdc_conserved
