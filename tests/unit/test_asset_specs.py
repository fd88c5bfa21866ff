"""Every asset carries the catalog essentials, and layer policy is applied to all of them."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from inventory_platform.definitions import DOCUMENTED_LAYERS, LAYER_POLICY, build_defs, defs
from inventory_platform.landing_contract import SOURCE_TABLES
from inventory_platform.settings import REPO_ROOT, load_settings

EXPECTED_SILVER_GOLD = {
    "silver": {"dim_product", "dim_warehouse", "dim_category", "dim_date", "dim_currency", "standard_cost_history", "fx_rates_daily",
               "fx_rates_monthly", "opening_balances", "int_ledger_restate_window", "int_ledger_resolved",
               "int_ledger_chunk_done", "int_cdc_stock_levels_state",
               "fct_inventory_transactions", "transaction_rejects",
               "fct_inventory_snapshot_month_end", "cdc_inventory_transactions", "stock_levels_current", "cdc_rejects",
               "fct_inventory_transactions_all_history", "fct_inventory_transactions_detail",
               "key_map_product_version", "key_map_warehouse_version", "key_map_sku", "key_map_warehouse",
               "fct_inventory_snapshot_month_end_detail"},
    "gold": {"gold_inventory_value_monthly", "gold_inventory_value_by_region", "gold_inventory_value_trend",
             "gold_unvalued_stock_monthly", "published_gold"},
}


@pytest.fixture(scope="module")
def specs() -> dict[dg.AssetKey, dg.AssetSpec]:
    """The data layers' assets (ops/* assets are covered by test_ops_definitions.py)."""
    repo = defs.get_repository_def()
    return {key: a.specs_by_key[key] for key, a in repo.assets_defs_by_key.items() if key.path[0] in DOCUMENTED_LAYERS}


def test_asset_keys_are_layer_and_table(specs):
    by_layer: dict[str, set[str]] = {}
    for key in specs:
        assert len(key.path) == 2, key
        by_layer.setdefault(key.path[0], set()).add(key.path[1])
    assert by_layer == {"bronze": {*SOURCE_TABLES, "cdc_events"}, **EXPECTED_SILVER_GOLD}


def test_every_asset_has_group_owners_kinds_description_schema_and_freshness(specs):
    for key, spec in specs.items():
        layer = key.path[0]
        assert spec.group_name == layer, key
        assert spec.owners == LAYER_POLICY[layer]["owners"], key
        assert spec.freshness_policy == LAYER_POLICY[layer]["freshness"], key
        assert "duckdb" in spec.kinds and spec.kinds & {"dbt", "python", "kinesis"}, key
        assert spec.description and len(spec.description) > 40, key
        assert spec.tags.get("layer") == layer, key
        schema = spec.metadata.get("dagster/column_schema")
        assert schema is not None and schema.columns, key
        assert all(c.description for c in schema.columns), f"{key}: a column lacks a description"


def test_lineage_runs_bronze_to_silver_to_gold(specs):
    deps = {key: {d.asset_key for d in spec.deps} for key, spec in specs.items()}
    resolved, window = dg.AssetKey(["silver", "int_ledger_resolved"]), dg.AssetKey(["silver", "int_ledger_restate_window"])
    assert dg.AssetKey(["bronze", "inventory_transactions"]) in deps[resolved] & deps[window]
    for ledger in ("fct_inventory_transactions", "transaction_rejects"):  # the ledger is resolved once
        assert {resolved, window} <= deps[dg.AssetKey(["silver", ledger])]
    gold = dg.AssetKey(["gold", "gold_inventory_value_monthly"])
    assert dg.AssetKey(["silver", "fct_inventory_snapshot_month_end"]) in deps[gold]


def test_dbt_tests_and_bronze_checks_are_asset_checks():
    checks = set(defs.resolve_asset_graph().asset_check_keys)
    quarantine_checks = {k.asset_key.path[1] for k in checks if k.name == "no_unresolved_quarantined_files"}
    assert quarantine_checks == set(SOURCE_TABLES)
    dbt_checks = [k for k in checks if k.asset_key.path[0] in ("silver", "gold")]
    assert len(dbt_checks) >= 30
    assert dg.AssetCheckKey(dg.AssetKey(["silver", "dim_product"]), "sku_windows_are_valid") in dbt_checks
    assert dg.AssetCheckKey(dg.AssetKey(["bronze", "cdc_events"]), "cdc_lag_within_threshold") in checks


def test_cdc_updates_are_sensed_and_start_the_microbatch():
    sensors = {s.name: s for s in defs.sensors}
    assert {"cdc_bronze_sensor", "cdc_lag_sensor"} <= set(sensors)
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in sensors.values() if s.name.startswith("cdc_"))
    microbatch = defs.resolve_job_def("cdc_microbatch")
    selected = {k.to_user_string() for k in microbatch.asset_layer.selected_asset_keys}
    assert {"silver/cdc_inventory_transactions", "silver/fct_inventory_transactions",
            "gold/gold_inventory_value_monthly"} <= selected
    assert not any(k.startswith("bronze/") for k in selected)


def test_only_the_ledger_is_daily_partitioned(specs):
    repo = defs.get_repository_def()
    partitioned = {k for k, a in repo.assets_defs_by_key.items() if a.partitions_def is not None}
    assert partitioned == {dg.AssetKey(["bronze", "inventory_transactions"])}


def test_every_asset_tells_an_analyst_its_grain_refresh_runbook_and_code(specs):
    cdc_events = dg.AssetKey(["bronze", "cdc_events"])
    for key, spec in specs.items():
        assert "**Refreshed:**" in spec.description and spec.tags.get("domain") == "inventory", key
        if key == cdc_events:  # loaded by the stream loader; names its own runbook
            assert "outside Dagster" in spec.description and spec.metadata["runbook"].value.endswith("runbook_cdc_lag.md")
            continue
        assert "**Grain:**" in spec.description and "**Refreshed:** by `daily_batch_load`" in spec.description, key
        # The page links the runbook its alerts name: CDC-fed tables go to the CDC lag runbook.
        stale = "runbook_cdc_lag.md" if "cdc" in key.path[1] else "runbook_freshness.md"
        for topic, runbook in (("freshness", stale), ("data_checks", "runbook_data_checks.md")):
            link = spec.metadata[f"runbook/{topic}"].value  # opens the runbook the dashboard renders
            assert link == f"http://127.0.0.1:3001/runbook?doc={runbook.removesuffix('.md')}", key
            assert (REPO_ROOT / "ops_runbooks" / runbook).exists(), key
        references = spec.metadata["dagster/code_references"].code_references
        assert references and all(Path(r.file_path).exists() for r in references), key
        if "dbt" in spec.kinds:  # a model's page links its SQL (or seed), not only the Python that loads it
            assert any(r.file_path.endswith((".sql", ".csv")) for r in references), key
    ledger = specs[dg.AssetKey(["silver", "fct_inventory_transactions"])].description
    assert "`cdc_microbatch` whenever new CDC events reach Bronze (the CDC applier)" in ledger


def test_every_check_says_what_it_checks():
    repo = defs.get_repository_def()
    checks = {spec.key: spec for a in repo.assets_defs_by_key.values() for spec in a.check_specs}
    assert all(spec.description for spec in checks.values()), [k for k, s in checks.items() if not s.description]
    trend = dg.AssetKey(["gold", "gold_inventory_value_trend"])
    descriptions = {k.name: s.description for k, s in checks.items() if k.asset_key == trend}
    assert descriptions["one_row_per_month_and_scope"] == \
        "One row per (month_key, scope)."
    assert descriptions["gold_rollups_equal_gold_monthly"].startswith("Every Gold roll-up must equal")


def test_code_references_and_runbooks_link_to_the_repository_when_its_url_is_set(monkeypatch, tmp_path):
    monkeypatch.setenv("INVENTORY_CODE_URL", "https://github.com/globalretail/inventory-platform")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("INVENTORY_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    key = dg.AssetKey(["gold", "gold_inventory_value_trend"])
    spec = build_defs(load_settings()).get_assets_def(key).specs_by_key[key]
    urls = [r.url for r in spec.metadata["dagster/code_references"].code_references]
    assert "https://github.com/globalretail/inventory-platform/tree/main/dbt_project/models/gold/gold_inventory_value_trend.sql" in urls
    assert spec.metadata["runbook/freshness"].value == \
        "https://github.com/globalretail/inventory-platform/blob/main/ops_runbooks/runbook_freshness.md"
