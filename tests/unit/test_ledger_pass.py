"""The chunk size setting and the models a chunk of the ledger's pass rebuilds (transform/ledger_pass.py)."""

from __future__ import annotations

import json

import pytest

from inventory_platform.settings import DBT_PROJECT_DIR, DEFAULT_LOCAL_CHUNK_ROWS, load_settings
from inventory_platform.transform.ledger_pass import chunk_models


@pytest.mark.parametrize(("env", "value", "expected"), [
    ("local", None, DEFAULT_LOCAL_CHUNK_ROWS), ("prod", None, None), ("local", "0", None), ("prod", "5000", 5000)])
def test_chunk_rows_default_to_a_bound_on_duckdb_and_none_on_redshift(monkeypatch, tmp_path, env, value, expected):
    monkeypatch.setenv("INVENTORY_ENV", env)
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("INVENTORY_DUCKDB_PATH", raising=False)
    if value is None:
        monkeypatch.delenv("INVENTORY_CHUNK_ROWS", raising=False)
    else:
        monkeypatch.setenv("INVENTORY_CHUNK_ROWS", value)
    assert load_settings().ledger_chunk_rows == expected


@pytest.mark.parametrize("value", ["-1", "lots"])
def test_a_bad_chunk_size_is_refused_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("INVENTORY_CHUNK_ROWS", value)
    with pytest.raises(ValueError, match="INVENTORY_CHUNK_ROWS"):
        load_settings()


def test_a_chunk_rebuilds_the_ledger_chain_the_step_selected_and_nothing_upstream():
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    chain = chunk_models(manifest, models)
    assert {"int_ledger_restate_window", "int_ledger_resolved", "fct_inventory_transactions", "transaction_rejects",
            "fct_inventory_snapshot_month_end", "gold_inventory_value_monthly", "int_ledger_chunk_done"} <= set(chain)
    assert not {"dim_product", "dim_warehouse", "fx_rates_monthly", "standard_cost_history"} & set(chain)
    # A step that did not select the window or the done mark runs dbt once: no chunk loop.
    assert chunk_models(manifest, models - {"int_ledger_chunk_done"}) == []
    assert "gold_inventory_value_trend" not in chunk_models(manifest, models - {"gold_inventory_value_trend"})
