"""warehouse_disk_sensor: records storage usage and the disk check's pass/warn/fail without a run."""

import dagster as dg

from inventory_platform.monitoring.storage_asset import STORAGE_ASSET, measure, usage_metadata
from inventory_platform.settings import Settings

DISK_SENSOR_INTERVAL_SECONDS = 300


def build_warehouse_disk_sensor(settings: Settings) -> dg.SensorDefinition:
    @dg.sensor(
        name="warehouse_disk_sensor",
        minimum_interval_seconds=DISK_SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=("Measures how full the warehouse's storage is and records an observation of "
                     "ops/warehouse_storage plus its disk check (pass/warn/fail against "
                     "INVENTORY_DISK_WARN_PCT / INVENTORY_DISK_FAIL_PCT)."),
    )
    def warehouse_disk_sensor(context: dg.SensorEvaluationContext, warehouse: dg.ConfigurableResource):
        usage, outcome = measure(warehouse, settings)
        events: list = []
        if usage is not None:
            events.append(dg.AssetObservation(asset_key=STORAGE_ASSET, metadata=usage_metadata(usage)))
        events.append(outcome.evaluation())
        context.log.info(f"{STORAGE_ASSET.to_user_string()}: {outcome.description}")
        return dg.SensorResult(asset_events=events)

    return warehouse_disk_sensor
