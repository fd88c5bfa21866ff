"""The Dagster code location: the domains it is made of, and the one place project-wide policy is applied.

Each domain folder's definitions.py says what it contributes (assets, checks, jobs, schedules, sensors,
resources) for the engine in settings. Here they are merged, and every asset, the ops assets included,
gets its layer's owners, group, tags and freshness policy; the data layers also get the catalog's refresh
notes, runbook links and code references (catalog/asset_docs.py).
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from inventory_platform.bronze import definitions as bronze
from inventory_platform.catalog.asset_docs import document_assets
from inventory_platform.cdc import definitions as cdc
from inventory_platform.cold_tier import definitions as cold_tier
from inventory_platform.cold_tier.assets import COLD_TIER_KEY
from inventory_platform.lib.engine import engine_executor, warehouse_resource
from inventory_platform.monitoring import definitions as monitoring
from inventory_platform.orchestration import definitions as orchestration
from inventory_platform.serving import definitions as serving
from inventory_platform.settings import Settings, export_process_environment, load_settings
from inventory_platform.transform import definitions as transform

DOMAINS = (bronze, cdc, transform, serving, orchestration, cold_tier, monitoring)

_NIGHTLY = {"fail_window": timedelta(hours=32), "warn_window": timedelta(hours=27)}
LAYER_POLICY = {
    # Bronze loads daily; Silver and Gold rebuild right after it.
    "bronze": {"owners": ["team:data-platform"], "tags": {"domain": "inventory"},
               "freshness": dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=30), warn_window=timedelta(hours=26))},
    "silver": {"owners": ["team:data-platform"], "tags": {"domain": "inventory"},
               "freshness": dg.FreshnessPolicy.time_window(**_NIGHTLY)},
    "gold": {"owners": ["team:finance-analytics", "team:data-platform"], "tags": {"domain": "inventory"},
             "freshness": dg.FreshnessPolicy.time_window(**_NIGHTLY)},
    # Operations: the warehouse's storage (observed by a sensor) and the cold tier.
    "ops": {"owners": ["team:data-platform"], "tags": {}, "freshness": None},
}
# Assets whose cadence is not their layer's, where this code location runs them (an external asset reports
# nothing here to be fresh by). The cold tier moves monthly: a missed month warns, two fail.
FRESHNESS_OVERRIDES = {
    COLD_TIER_KEY: dg.FreshnessPolicy.time_window(fail_window=timedelta(days=62), warn_window=timedelta(days=35)),
}
DOCUMENTED_LAYERS = ("bronze", "silver", "gold")


def apply_layer_policy(spec: dg.AssetSpec, executable: bool = True) -> dg.AssetSpec:
    layer = spec.key.path[0]
    policy = LAYER_POLICY.get(layer)
    if policy is None:
        raise ValueError(f"asset {spec.key.to_user_string()} is not in a known layer {sorted(LAYER_POLICY)}")
    freshness = FRESHNESS_OVERRIDES.get(spec.key, policy["freshness"]) if executable else policy["freshness"]
    return spec.replace_attributes(owners=policy["owners"], group_name=layer, freshness_policy=freshness,
                                   ).merge_attributes(tags={"layer": layer, **policy["tags"]})


def _layer(asset: dg.AssetsDefinition | dg.AssetSpec) -> str:
    key = asset.key if isinstance(asset, dg.AssetSpec) else next(iter(asset.keys))
    return key.path[0]


def build_defs(settings: Settings) -> dg.Definitions:
    export_process_environment(settings)
    parts = dg.Definitions.merge(*(domain.build(settings) for domain in DOMAINS))
    executable = {key for a in parts.assets if isinstance(a, dg.AssetsDefinition) and a.is_executable for key in a.keys}
    assets = dg.map_asset_specs(lambda spec: apply_layer_policy(spec, spec.key in executable), list(parts.assets))
    documented = [a for a in assets if _layer(a) in DOCUMENTED_LAYERS]
    return dg.Definitions(
        assets=[*document_assets(documented, parts.jobs, settings),
                *(a for a in assets if _layer(a) not in DOCUMENTED_LAYERS)],
        asset_checks=parts.asset_checks, jobs=parts.jobs, schedules=parts.schedules, sensors=parts.sensors,
        resources={**parts.resources, "warehouse": warehouse_resource(settings.warehouse_kind, settings.duckdb_path)},
        executor=engine_executor(settings.warehouse_kind),
    )


defs = build_defs(load_settings())
