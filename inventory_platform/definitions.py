"""The Dagster code location, and the one place where project-wide policy is applied.

Per layer: owners, freshness policy and tags. Assets are built by their own modules; this file only
assembles them, applies policy, and wires resources and jobs for the engine chosen in settings.
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from inventory_platform.bronze.assets import build_bronze_assets, external_bronze_specs
from inventory_platform.catalog.asset_docs import document_assets
from inventory_platform.cdc.assets import build_cdc_checks, cdc_events_spec
from inventory_platform.cdc.sensors import build_cdc_bronze_sensor, build_cdc_lag_sensor
from inventory_platform.orchestration.run_recovery import build_reclaim_dead_runs_sensor
from inventory_platform.cold_tier.assets import build_cold_tier_definitions
from inventory_platform.checks.source_freshness import build_source_freshness_checks
from inventory_platform.landing_contract import SOURCE_TABLES
from inventory_platform.lib.duckdb_warehouse import LandingZone
from inventory_platform.lib.engine import warehouse_resource
from inventory_platform.monitoring.ops_definitions import build_ops_definitions
from inventory_platform.orchestration.schedules import build_jobs, build_schedules
from inventory_platform.settings import Settings, export_process_environment, load_settings
from inventory_platform.transform.dbt_assets import build_dbt_assets, dbt_resource

LAYER_POLICY = {
    # Bronze loads daily; Silver and Gold rebuild right after it.
    "bronze": {"owners": ["team:data-platform"],
               "freshness": dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=30), warn_window=timedelta(hours=26))},
    "silver": {"owners": ["team:data-platform"],
               "freshness": dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=32), warn_window=timedelta(hours=27))},
    "gold": {"owners": ["team:finance-analytics", "team:data-platform"],
             "freshness": dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=32), warn_window=timedelta(hours=27))},
}


def apply_layer_policy(spec: dg.AssetSpec) -> dg.AssetSpec:
    layer = spec.key.path[0]
    policy = LAYER_POLICY.get(layer)
    if policy is None:
        raise ValueError(f"asset {spec.key.to_user_string()} is not in a known layer {sorted(LAYER_POLICY)}")
    return spec.replace_attributes(
        owners=policy["owners"], freshness_policy=policy["freshness"], group_name=layer,
    ).merge_attributes(tags={"layer": layer})


def build_defs(settings: Settings) -> dg.Definitions:
    export_process_environment(settings)
    daily = dg.DailyPartitionsDefinition(start_date=settings.history_start.isoformat())
    bronze = build_bronze_assets(daily) if settings.is_local else external_bronze_specs(daily)
    assets = dg.map_asset_specs(apply_layer_policy, [*bronze, cdc_events_spec(settings), build_dbt_assets(settings)])
    source_freshness = build_source_freshness_checks(SOURCE_TABLES)
    freshness_checks = dg.AssetSelection.checks(source_freshness)

    jobs = build_jobs(settings, freshness_checks)
    assets = document_assets(assets, jobs, settings)
    sensors = [build_cdc_bronze_sensor(settings), build_cdc_lag_sensor(settings),
               build_reclaim_dead_runs_sensor()] if settings.is_local else []
    core = dg.Definitions(
        assets=assets,
        asset_checks=[*build_cdc_checks(settings), source_freshness],
        jobs=jobs,
        sensors=sensors,
        schedules=build_schedules(settings),
        resources={
            "warehouse": warehouse_resource(settings),
            "landing": LandingZone(path=str(settings.landing_dir), quarantine_path=str(settings.quarantine_dir)),
            "dbt": dbt_resource(settings),
        },
        # DuckDB has a single writer: steps of a run execute one after another in one process.
        executor=dg.in_process_executor if settings.is_local else dg.multiprocess_executor,
    )
    # Monitoring sensors, alerting, the storage asset and nightly maintenance (ops_runbooks/); the cold tier.
    return dg.Definitions.merge(core, build_ops_definitions(settings), build_cold_tier_definitions(settings))


defs = build_defs(load_settings())
