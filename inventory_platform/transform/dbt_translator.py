"""How dbt nodes appear in Dagster: keys [layer, name], kinds and descriptions (group, owners and tags come
from the code location's layer policy, inventory_platform/definitions.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from inventory_platform.transform.dbt_test_descriptions import describe_dbt_test


def dbt_layer(props: Mapping[str, Any]) -> str:
    """The layer a dbt node belongs to: the source name for sources, the models/ subfolder otherwise, except
    that intermediate models belong to the layer whose schema holds them (silver), so that keys stay
    [schema, table]."""
    if props["resource_type"] == "source":
        return props["source_name"]
    folder = props["fqn"][1]
    return props["config"]["schema"] if folder == "intermediate" else folder


class InventoryDbtTranslator(DagsterDbtTranslator):
    def __init__(self, warehouse_kind: str):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_code_references=True))
        self.warehouse_kind = warehouse_kind

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        return dg.AssetKey([dbt_layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        # For analysts: what the table holds and its grain. The SQL is one click away (code reference).
        text = " ".join((dbt_resource_props.get("description") or "").split())
        grain = dbt_resource_props.get("config", {}).get("meta", {}).get("grain")
        return f"{text}\n\n**Grain:** {grain}" if grain else text

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
        # The engine comes from settings, not from whichever target the manifest happened to be parsed with.
        return spec.replace_attributes(kinds={"dbt", self.warehouse_kind})
