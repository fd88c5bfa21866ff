"""The code location's dbt specs, built from manifest.json without dagster-dbt, equal dagster-dbt's own
(`build_dbt_specs` with the project's translator, what `@dbt_assets` builds) field by field."""

from __future__ import annotations

import json

import pytest
from dagster_dbt import DbtProject
from dagster_dbt.asset_utils import build_dbt_specs

from inventory_platform.settings import DBT_PROJECT_DIR
from inventory_platform.transform.dbt_assets import MANIFEST_PATH
from inventory_platform.transform.dbt_specs import dbt_specs
from inventory_platform.transform.dbt_translator import InventoryDbtTranslator

# dagster-dbt's handles on its own objects (the manifest, translator and project): ours are found at run time.
_OBJECT_METADATA = ("dagster_dbt/manifest", "dagster_dbt/dagster_dbt_translator", "dagster_dbt/project")


def _metadata(metadata) -> dict:
    return {k: v for k, v in (metadata or {}).items() if k not in _OBJECT_METADATA}


def _asset_fields(spec) -> dict:
    return {"deps": sorted(((d.asset_key.to_user_string(), repr(_metadata(d.metadata)), d.partition_mapping)
                            for d in spec.deps), key=str),
            "description": spec.description, "metadata": _metadata(spec.metadata), "skippable": spec.skippable,
            "group": spec.group_name, "code_version": spec.code_version, "owners": list(spec.owners),
            "tags": dict(spec.tags), "kinds": set(spec.kinds), "automation": spec.automation_condition,
            "partitions": spec.partitions_def}


def _check_fields(spec) -> dict:
    return {"description": spec.description, "additional_deps": sorted(d.asset_key.to_user_string()
                                                                        for d in spec.additional_deps),
            "metadata": dict(spec.metadata or {}), "blocking": spec.blocking}


@pytest.mark.parametrize("warehouse_kind", ["duckdb", "redshift"])
def test_specs_equal_dagster_dbts(warehouse_kind):
    manifest = json.loads(MANIFEST_PATH.read_text())
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    theirs, their_checks = build_dbt_specs(translator=InventoryDbtTranslator(warehouse_kind=warehouse_kind),
                                           manifest=manifest, select="fqn:*", exclude="", selector="",
                                           io_manager_key=None, project=project)
    ours, our_checks = dbt_specs(manifest, warehouse_kind, DBT_PROJECT_DIR)

    assert len(theirs) > 20 and len(their_checks) > 100
    assert sorted(s.key.to_user_string() for s in ours) == sorted(s.key.to_user_string() for s in theirs)
    expected = {s.key: _asset_fields(s) for s in theirs}
    for spec in ours:
        assert _asset_fields(spec) == expected[spec.key], spec.key.to_user_string()
    assert sorted(c.key.to_user_string() for c in our_checks) == sorted(c.key.to_user_string() for c in their_checks)
    expected_checks = {c.key: _check_fields(c) for c in their_checks}
    for check in our_checks:
        assert _check_fields(check) == expected_checks[check.key], check.key.to_user_string()
