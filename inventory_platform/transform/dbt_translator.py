"""How dagster-dbt maps dbt's results to the code location's assets when dbt runs: keys [layer, name] and the
descriptions of transform/dbt_specs.py, which builds the specs themselves (tests/unit/test_dbt_specs.py holds
dagster-dbt's specs from this translator equal to them). Imported only when dbt runs: it imports dbt-core."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from inventory_platform.transform.dbt_specs import asset_key, describe_model
from inventory_platform.transform.dbt_test_descriptions import describe_dbt_test


class InventoryDbtTranslator(DagsterDbtTranslator):
    def __init__(self, warehouse_kind: str):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_code_references=True))
        self.warehouse_kind = warehouse_kind

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        return asset_key(dbt_resource_props)

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        return describe_model(dbt_resource_props)

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return dg.AssetCheckSpec(
            spec.name, asset=spec.asset_key, description=describe_dbt_test(manifest["nodes"][unique_id]),
            additional_deps=spec.additional_deps, blocking=spec.blocking, metadata=spec.metadata,
            automation_condition=spec.automation_condition, partitions_def=spec.partitions_def)

    def get_asset_spec(self, manifest, unique_id, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        return spec.replace_attributes(kinds={"dbt", self.warehouse_kind})
