"""Every Silver and Gold model has an enforced contract typed with names all three engines accept."""

from __future__ import annotations

import json
import re

import pytest

from inventory_platform.transform.dbt_assets import MANIFEST_PATH

# docs/model_contracts.md: type names DuckDB, PostgreSQL and Redshift all accept with the same meaning.
PORTABLE_TYPE = re.compile(
    r"^(varchar(\(\d+\))?|integer|bigint|numeric\(\d+, ?\d+\)|date|timestamp|boolean|double precision)$")


@pytest.fixture(scope="module")
def models() -> dict[str, dict]:
    manifest = json.loads(MANIFEST_PATH.read_text())
    return {n["name"]: n for n in manifest["nodes"].values()
            if n["resource_type"] == "model" and n["config"]["schema"] in ("silver", "gold")}


def test_every_built_silver_and_gold_model_enforces_its_contract(models):
    built = {name: m for name, m in models.items() if m["config"]["materialized"] != "ephemeral"}
    assert len(built) >= 14
    assert [name for name, m in built.items() if not m["config"]["contract"]["enforced"]] == []
    # dbt cannot enforce a contract on an ephemeral model (it is a CTE inside its consumers).
    ephemeral = [m for m in models.values() if m["config"]["materialized"] == "ephemeral"]
    assert all(not m["config"]["contract"]["enforced"] for m in ephemeral)


def test_every_contract_column_has_a_portable_type(models):
    problems = [f"{name}.{col}: {c.get('data_type')!r}"
                for name, m in models.items() if m["config"]["contract"]["enforced"]
                for col, c in m["columns"].items()
                if not PORTABLE_TYPE.match((c.get("data_type") or "").lower())]
    assert problems == [], "columns without a portable data_type (docs/model_contracts.md)"
