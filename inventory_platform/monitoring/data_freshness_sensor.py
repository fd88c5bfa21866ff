"""data_freshness_sensor: data grows late while nothing runs, so `data_is_current` is re-evaluated as the clock
moves, not only when a build evaluates it.

It records an evaluation only when a verdict differs from the last one recorded, or that one is over an hour
old (so the UI's "evaluated at" stays true without an evaluation every 5 minutes in the event log). It reads
the newest event day from the latest materialization's metadata, never the warehouse. On Redshift, Bronze is
loaded outside Dagster and records nothing: there the sensor first observes it (a query never blocked by a
writer on Redshift).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import dagster as dg

from inventory_platform.dagster_adapter import utc_now
from inventory_platform.monitoring.alert_states import evaluation_level
from inventory_platform.monitoring.data_freshness import DATA_FRESHNESS_CHECK, DATA_FRESHNESS_KEYS, evaluate
from inventory_platform.settings import Settings
from inventory_platform.transform.materialization_metadata import newest_event_value

DATA_FRESHNESS_SENSOR_INTERVAL_SECONDS = 300
RECORD_AT_LEAST_EVERY = timedelta(hours=1)
BRONZE_LEDGER = DATA_FRESHNESS_KEYS[0]


def freshness_evaluations(instance: dg.DagsterInstance, settings: Settings, now: datetime) -> list[dg.AssetCheckEvaluation]:
    """An evaluation per key whose verdict changed, or whose last recorded one is over an hour old."""
    check_keys = [dg.AssetCheckKey(key, DATA_FRESHNESS_CHECK) for key in DATA_FRESHNESS_KEYS]
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(check_keys)
    evaluations = []
    for check_key in check_keys:
        outcome = evaluate(instance, check_key.asset_key, settings, now)
        if outcome is None:
            continue
        record = latest.get(check_key)
        last = record.event.asset_check_evaluation if record and record.event else None
        if (last is not None and evaluation_level(last) is outcome.level
                and now.timestamp() - record.event.timestamp < RECORD_AT_LEAST_EVERY.total_seconds()):
            continue
        evaluations.append(dg.AssetCheckEvaluation(**outcome.fields()))
    return evaluations


def freshness_tick(context: dg.SensorEvaluationContext, settings: Settings, warehouse=None):
    if warehouse is not None:  # Redshift: Bronze is external, observe its newest event day first
        (newest,), = warehouse.query("SELECT max(CAST(event_ts AS DATE)) FROM bronze.inventory_transactions")
        observation = dg.AssetObservation(BRONZE_LEDGER, metadata=newest_event_value(newest))
        context.instance.report_runless_asset_event(observation)  # read back by the evaluation below
    evaluations = freshness_evaluations(context.instance, settings, utc_now())
    if not evaluations:
        return dg.SkipReason("every data_is_current verdict unchanged and recorded within the hour")
    for evaluation in evaluations:
        context.log.info(f"{evaluation.asset_key.to_user_string()}: {evaluation.description}")
    return dg.SensorResult(asset_events=evaluations)


def build_data_freshness_sensor(settings: Settings, observe_bronze: bool) -> dg.SensorDefinition:
    """observe_bronze: Bronze is external (Redshift), so the sensor records its newest event day first. On
    DuckDB the sensor does not even take the warehouse resource."""
    if observe_bronze:
        def data_freshness_sensor(context: dg.SensorEvaluationContext, warehouse: dg.ConfigurableResource):
            return freshness_tick(context, settings, warehouse)
    else:
        def data_freshness_sensor(context: dg.SensorEvaluationContext):
            return freshness_tick(context, settings)

    return dg.sensor(
        name="data_freshness_sensor",
        minimum_interval_seconds=DATA_FRESHNESS_SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(f"Re-evaluates {DATA_FRESHNESS_CHECK} (newest event date against the clock) on "
                     + ", ".join(k.to_user_string() for k in DATA_FRESHNESS_KEYS)
                     + " as time passes; records a result when a verdict changes, and at least hourly."),
    )(data_freshness_sensor)
