"""What production operations adds to the code location: the warehouse storage asset and its disk check,
the data-freshness checks, the open incidents, nightly maintenance, and the disk, data-freshness and alert
sensors (ops_runbooks/)."""

from __future__ import annotations

import dagster as dg

from inventory_platform.monitoring.alert_sensor import build_alert_sensor
from inventory_platform.monitoring.data_freshness import build_data_freshness_checks
from inventory_platform.monitoring.data_freshness_sensor import build_data_freshness_sensor
from inventory_platform.monitoring.disk_sensor import build_warehouse_disk_sensor
from inventory_platform.monitoring.incidents import build_open_incidents_check, open_incidents_spec
from inventory_platform.monitoring.jobs import build_maintenance_job, build_maintenance_schedule
from inventory_platform.monitoring.storage_asset import build_disk_check, warehouse_storage_spec
from inventory_platform.settings import Settings


def build(settings: Settings) -> dg.Definitions:
    maintenance = build_maintenance_job(settings)
    return dg.Definitions(
        assets=[warehouse_storage_spec(settings.warehouse_kind), open_incidents_spec()],
        asset_checks=[build_disk_check(settings), build_data_freshness_checks(settings), build_open_incidents_check()],
        jobs=[maintenance],
        schedules=[build_maintenance_schedule(maintenance)],
        sensors=[build_warehouse_disk_sensor(settings), build_alert_sensor(settings),
                 # On Redshift Bronze is loaded outside Dagster: the sensor observes its newest event day.
                 build_data_freshness_sensor(settings, observe_bronze=settings.warehouse_kind == "redshift")],
    )
