"""auto_maintenance: the nightly housekeeping job (what it does per engine: monitoring/maintenance.py)."""


import dagster as dg

from inventory_platform.lib.duckdb_warehouse import DuckDBWarehouse
from inventory_platform.monitoring import maintenance
from inventory_platform.monitoring.maintenance import maintain_duckdb, maintain_redshift
from inventory_platform.monitoring.storage_asset import STORAGE_ASSET
from inventory_platform.settings import Settings

MAINTENANCE_CRON = "30 3 * * *"  # after the nightly loads and dbt build, before the working day in EMEA


def build_maintenance_job(settings: Settings) -> dg.JobDefinition:
    @dg.op(name="maintain_warehouse", required_resource_keys={"warehouse"}, pool="duckdb_writer", out={},
           description="VACUUM/ANALYZE the Redshift tables that need it, or ANALYZE and CHECKPOINT DuckDB.")
    def maintain_warehouse(context: dg.OpExecutionContext):
        warehouse = context.resources.warehouse
        if isinstance(warehouse, DuckDBWarehouse):
            summary = maintain_duckdb(warehouse, context.log)
        else:
            summary = maintain_redshift(warehouse, settings, context.log)
        yield dg.AssetObservation(asset_key=STORAGE_ASSET, metadata={"maintenance": "auto_maintenance", **summary})

    @dg.job(name="auto_maintenance", description=maintenance.__doc__.splitlines()[0])
    def auto_maintenance():
        maintain_warehouse()

    return auto_maintenance


def build_maintenance_schedule(job: dg.JobDefinition) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(name="auto_maintenance_schedule", job=job, cron_schedule=MAINTENANCE_CRON,
                                 execution_timezone="UTC", default_status=dg.DefaultScheduleStatus.RUNNING)
