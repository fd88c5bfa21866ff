"""`make dev` works: `dagster dev` loads the code location from workspace.yaml and serves every asset."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..support.dagster_dev import dagster_dev_env, graphql, new_dagster_home, running_dagster_dev

pytestmark = pytest.mark.e2e
QUERY = "{ assetNodes { assetKey { path } groupName owners { ... on TeamAssetOwner { team } } kinds description } }"


@pytest.fixture
def dagster_dev(tmp_path: Path):
    env = dagster_dev_env(new_dagster_home(tmp_path / "dagster_home"), INVENTORY_DATA_DIR=str(tmp_path / "data"))
    with running_dagster_dev(env, tmp_path / "dagster_dev.log") as port:
        yield port


def test_ui_lists_every_asset_in_its_layer_group_with_owners_and_kinds(dagster_dev):
    nodes = graphql(dagster_dev, QUERY)["assetNodes"]
    by_group: dict[str, set[str]] = {}
    for node in nodes:
        layer, name = node["assetKey"]["path"]
        assert node["groupName"] == layer
        assert node["owners"] and node["kinds"] and node["description"], name
        by_group.setdefault(layer, set()).add(name)
    assert set(by_group) == {"bronze", "silver", "gold", "ops"}
    assert by_group["ops"] == {"warehouse_storage", "cold_tier_offload", "open_incidents"}
    assert {"inventory_transactions", "products"} <= by_group["bronze"]
    assert "fct_inventory_snapshot_month_end" in by_group["silver"]
    assert {"gold_inventory_value_monthly", "gold_inventory_value_trend"} <= by_group["gold"]
