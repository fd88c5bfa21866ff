"""Sensors for CDC: record Bronze updates made outside Dagster, start micro-batches, and watch lag."""

import json

import dagster as dg
import duckdb

from inventory_platform.cdc.applier import BRONZE_ROWS_TAG, applier_running
from inventory_platform.cdc.assets import CDC_EVENTS_KEY, CDC_LAG_CHECK, NO_STREAM, lag_check_result, read_status_if_running
from inventory_platform.cdc.bronze_table import bronze_totals
from inventory_platform.cdc.jobs import MICROBATCH_JOB
from inventory_platform.settings import Settings

STREAM_STOPPED = "stream_stopped"  # lag sensor cursor: the passing no-stream result is recorded
ACTIVE = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
          dg.DagsterRunStatus.STARTED]


def build_cdc_bronze_sensor(settings: Settings) -> dg.SensorDefinition:
    @dg.sensor(name="cdc_bronze_sensor", job_name=MICROBATCH_JOB, minimum_interval_seconds=10,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Records each update of bronze/cdc_events (loaded outside Dagster) as a materialization "
                           "and starts cdc_microbatch when new rows arrived and no micro-batch is running, unless the CDC "
                           "applier (`inventory-platform stream apply`, started by `make dev`) merges them.")
    def cdc_bronze_sensor(context: dg.SensorEvaluationContext):
        totals = bronze_totals(settings.duckdb_path)
        if totals is None:
            return dg.SkipReason("the warehouse is being written; retrying next tick")
        rows, newest = totals
        cursor = json.loads(context.cursor) if context.cursor else {"recorded": 0, "requested": 0}
        events, requests = [], []
        if rows > cursor["recorded"]:
            events.append(dg.AssetMaterialization(CDC_EVENTS_KEY, metadata={
                "dagster/row_count": rows, "new_rows": rows - cursor["recorded"], "newest_load": newest or ""}))
            cursor["recorded"] = rows
        if rows > cursor["requested"] and not applier_running(settings):
            active = context.instance.get_run_records(dg.RunsFilter(job_name=MICROBATCH_JOB, statuses=ACTIVE), limit=1)
            if not active:
                requests.append(dg.RunRequest(run_key=f"cdc-rows-{rows}", tags={BRONZE_ROWS_TAG: str(rows)}))
                cursor["requested"] = rows
        if not events and not requests:
            return dg.SkipReason(f"no new CDC rows ({rows:,} in Bronze)" if rows <= cursor["requested"]
                                 else "the CDC applier merges them" if applier_running(settings)
                                 else "a micro-batch is still running")
        return dg.SensorResult(asset_events=events, run_requests=requests, cursor=json.dumps(cursor))

    return cdc_bronze_sensor


def build_cdc_lag_sensor(settings: Settings) -> dg.SensorDefinition:
    @dg.sensor(name="cdc_lag_sensor", minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
               description="Computes CDC lag (age of the oldest record not yet handled or loaded) and stream backlog, "
                           f"and records a pass/warn/fail result of the {CDC_LAG_CHECK} check; with no local stream "
                           "running, records one pass when it finds the stream stopped.")
    def cdc_lag_sensor(context: dg.SensorEvaluationContext):
        try:
            status = read_status_if_running(settings)
        except duckdb.IOException:
            return dg.SkipReason("the warehouse is being written; retrying next tick")
        if status is None and context.cursor == STREAM_STOPPED:
            return dg.SkipReason(f"{NO_STREAM} (recorded when the stream was found stopped)")
        result = lag_check_result(settings, status)
        events = [dg.AssetCheckEvaluation(asset_key=CDC_EVENTS_KEY, check_name=CDC_LAG_CHECK, passed=result["passed"],
                                          severity=result["severity"], description=result["description"],
                                          metadata=result["metadata"])]
        if status is not None:
            events.append(dg.AssetObservation(CDC_EVENTS_KEY, metadata={"lag_seconds": status.lag_seconds,
                                                                        "dead_letters": status.dead_letters}))
        return dg.SensorResult(asset_events=events, cursor=STREAM_STOPPED if status is None else "stream_running")

    return cdc_lag_sensor
