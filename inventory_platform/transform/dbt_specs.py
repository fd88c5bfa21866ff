"""The dbt project as Dagster sees it, read from manifest.json: each model an asset spec, each dbt test a check
spec, keyed [layer, name].

dagster-dbt builds the same specs (tests/unit/test_dbt_specs.py holds them equal to its `build_dbt_specs` with
the project's translator), but importing it imports dbt-core: ~2 s of every code-location load, run worker and
sensor tick. So the code location builds the specs here and imports dagster-dbt only when dbt runs
(transform/dbt_assets.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg

from inventory_platform.transform.dbt_test_descriptions import describe_dbt_test

# dagster-dbt's metadata key naming the dbt node of a spec: its selection of a subset reads it.
UNIQUE_ID = "dagster_dbt/unique_id"
ASSET_TYPES = ("model", "seed", "snapshot")
_UPSTREAM_TYPES = (*ASSET_TYPES, "source")
_NON_ASSET_TYPES = ("metric", "semantic_model", "saved_query", "function")


def dbt_layer(props: Mapping[str, Any]) -> str:
    """The layer a dbt node belongs to: the source name for sources, the models/ subfolder otherwise, except
    that intermediate models belong to the layer whose schema holds them (silver), so that keys stay
    [schema, table]."""
    if props["resource_type"] == "source":
        return props["source_name"]
    folder = props["fqn"][1]
    return props["config"]["schema"] if folder == "intermediate" else folder


def asset_key(props: Mapping[str, Any]) -> dg.AssetKey:
    return dg.AssetKey([dbt_layer(props), props["name"]])


def describe_model(props: Mapping[str, Any]) -> str:
    """For analysts: what the table holds and its grain. The SQL is one click away (code reference)."""
    text = " ".join((props.get("description") or "").split())
    grain = props.get("config", {}).get("meta", {}).get("grain")
    return f"{text}\n\n**Grain:** {grain}" if grain else text


def dbt_specs(manifest: Mapping[str, Any], warehouse_kind: str, project_dir: Path
              ) -> tuple[list[dg.AssetSpec], list[dg.AssetCheckSpec]]:
    """Every model, seed and snapshot, and every dbt test on one, in manifest order."""
    nodes = {**manifest["nodes"], **manifest.get("sources", {})}
    specs, checks = [], {}
    for unique_id, props in manifest["nodes"].items():
        if props["resource_type"] not in ASSET_TYPES or _is_non_asset(props):
            continue
        spec = _asset_spec(manifest, nodes, props, warehouse_kind, project_dir)
        specs.append(spec)
        for child in manifest["child_map"].get(unique_id, ()):
            check = _check_spec(manifest, nodes, child, spec.key) if child.startswith("test") else None
            if check is not None:
                checks[check.get_python_identifier()] = check
    return specs, list(checks.values())


def _is_non_asset(props: Mapping[str, Any]) -> bool:
    return props["resource_type"] in _NON_ASSET_TYPES or (
        props["resource_type"] == "model" and props.get("config", {}).get("materialized") == "ephemeral")


def _upstream_ids(nodes: Mapping[str, Any], props: Mapping[str, Any]) -> set[str]:
    """The node's parents that are assets or sources, looking through ephemeral models."""
    found, queue, seen = set(), list(props.get("depends_on", {}).get("nodes", [])), set()
    while queue:
        parent = queue.pop()
        if parent in seen or parent not in nodes:
            continue
        seen.add(parent)
        if _is_non_asset(nodes[parent]):
            queue.extend(nodes[parent].get("depends_on", {}).get("nodes", []))
        elif nodes[parent]["resource_type"] in _UPSTREAM_TYPES:
            found.add(parent)
    return found


def _node_metadata(manifest: Mapping[str, Any], props: Mapping[str, Any], warehouse_adapter: str | None,
                   project_dir: Path) -> dict[str, Any]:
    columns = props.get("columns") or {}
    schema = dg.TableSchema(columns=[
        dg.TableColumn(name=name, type=column.get("data_type") or "?", description=column.get("description"),
                       tags={tag: "" for tag in column.get("tags", [])})
        for name, column in columns.items()]) if columns else None
    parts = [props.get("database"), props.get("schema"), props.get("alias"),
             props.get("name") if props["resource_type"] == "source" else None]
    materialized = props.get("config", {}).get("materialized")
    project_id = manifest.get("metadata", {}).get("project_id")
    return {
        **({"dagster-dbt/materialization_type": materialized} if materialized else {}),
        **({"dagster/column_schema": schema} if schema else {}),
        **({"dagster/table_name": ".".join(p for p in parts if p)} if any(parts) else {}),
        UNIQUE_ID: props["unique_id"],
        **({"dagster/storage_kind": warehouse_adapter} if warehouse_adapter else {}),
        **({"dagster_dbt/project_id": dg.MetadataValue.text(project_id)} if project_id else {}),
        "dagster/code_references": dg.CodeReferencesMetadataValue(code_references=[
            dg.LocalFileCodeReference(file_path=str((project_dir / props["original_file_path"]).resolve()))]),
    }


def _asset_spec(manifest: Mapping[str, Any], nodes: Mapping[str, Any], props: Mapping[str, Any],
                warehouse_kind: str, project_dir: Path) -> dg.AssetSpec:
    adapter = manifest.get("metadata", {}).get("adapter_type")
    deps = {}
    for parent in sorted(_upstream_ids(nodes, props)):
        parent_props = nodes[parent]
        key = asset_key(parent_props)
        # Like dagster-dbt: a source's table metadata travels on the dependency.
        metadata = ({k: v for k, v in _node_metadata(manifest, parent_props, adapter, project_dir).items()
                     if not k.startswith("dagster_dbt")} if parent_props["resource_type"] == "source" else None)
        deps.setdefault(key, dg.AssetDep(key, metadata=metadata))
    code = props.get("raw_code") or props.get("raw_sql")
    meta = props.get("meta", {}).get("dagster", {})
    return dg.AssetSpec(
        key=asset_key(props), deps=list(deps.values()), description=describe_model(props),
        metadata=_node_metadata(manifest, props, adapter, project_dir), skippable=True,
        group_name=meta.get("group") or props.get("config", {}).get("group"),
        code_version=hashlib.sha1(code.encode()).hexdigest() if code else props.get("checksum", {}).get("checksum"),
        owners=meta.get("owners"), tags={tag: "" for tag in props.get("tags", [])},
        # The engine comes from settings, not from whichever target the manifest happened to be parsed with.
        kinds={"dbt", warehouse_kind})


def _check_spec(manifest: Mapping[str, Any], nodes: Mapping[str, Any], test_id: str, key: dg.AssetKey
                ) -> dg.AssetCheckSpec | None:
    """The check a dbt test is on `key`, None when the test is attached to another node."""
    test = nodes[test_id]
    parents = set(test["depends_on"]["nodes"])
    attached = next(iter(parents)) if len(parents) == 1 else test.get("attached_node")
    ref = (test.get("config", {}).get("meta", {}) or test.get("meta", {})).get("dagster", {}).get("ref", {})
    if ref:
        wanted = (ref["name"], ref.get("package") or manifest["metadata"]["project_name"], ref.get("version"))
        attached = next((uid for uid, n in manifest["nodes"].items()
                         if (n["name"], n["package_name"], n.get("version")) == wanted), None)
    if attached is None or attached not in nodes or asset_key(nodes[attached]) != key:
        return None
    severity = test.get("config", {}).get("severity") or "error"
    return dg.AssetCheckSpec(
        test["name"], asset=key,
        description=test.get("meta", {}).get("description") or describe_dbt_test(test),
        additional_deps={asset_key(nodes[p]) for p in parents if p in nodes} - {key},
        metadata={UNIQUE_ID: test_id}, blocking=severity.lower() == "error")
