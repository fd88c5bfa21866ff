"""The CDC micro-batch builds the CDC state in a dbt invocation of its own before the rest
(transform/commit_first.py), and the two lanes together run every dbt test a single build would, each once.
What each lane runs is asked of dbt itself (`dbt ls`), not of the code that chose the lanes."""

from __future__ import annotations

import json

import pytest

from inventory_platform.cdc.jobs import MICROBATCH_JOB
from inventory_platform.definitions import defs
from inventory_platform.settings import DBT_PROJECT_DIR
from inventory_platform.transform.commit_first import below_failures, build_lanes
from inventory_platform.transform.dbt_assets import load_manifest
from inventory_platform.transform.dbt_specs import UNIQUE_ID

CDC_STATE = {"cdc_inventory_transactions", "int_cdc_stock_levels_state", "stock_levels_current", "cdc_rejects"}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return load_manifest()


@pytest.fixture(scope="module")
def microbatch_nodes(manifest) -> set[str]:
    """The unique ids of the dbt assets the cdc_microbatch job builds."""
    repo = defs.get_repository_def()
    keys = defs.resolve_job_def(MICROBATCH_JOB).asset_layer.selected_asset_keys
    return {repo.assets_defs_by_key[key].specs_by_key[key].metadata[UNIQUE_ID] for key in keys
            if UNIQUE_ID in repo.assets_defs_by_key[key].specs_by_key[key].metadata}


def _dbt_ls(args: list[str], tmp_path, monkeypatch) -> set[str]:
    from dbt.cli.main import dbtRunner

    monkeypatch.setenv("INVENTORY_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    result = dbtRunner().invoke(["ls", *args, "--output", "json", "--output-keys", "unique_id", "--quiet",
                                 "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                                 "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path)])
    assert result.success, result.exception
    return {json.loads(line)["unique_id"] for line in result.result}


def test_the_cdc_state_is_built_first_and_every_test_runs_once(manifest, microbatch_nodes, tmp_path, monkeypatch):
    lanes = build_lanes(manifest, microbatch_nodes)
    assert lanes is not None
    first, rest = (_dbt_ls(lane, tmp_path, monkeypatch) for lane in lanes)
    one_build = _dbt_ls(["--select", " ".join(".".join(manifest["nodes"][u]["fqn"]) for u in microbatch_nodes)],
                        tmp_path, monkeypatch)

    def models(ids: set[str]) -> set[str]:
        return {manifest["nodes"][u]["name"] for u in ids if u.startswith("model.")}

    tests = {u for u in one_build if u.startswith("test.")}
    assert models(first) == CDC_STATE
    assert models(rest) == models(one_build) - CDC_STATE
    assert {u for u in first | rest if u.startswith("test.")} == tests
    assert not first & rest
    assert len(tests) > 40
    # A test across both lanes (the CDC transactions against the ledger) runs with the second; one on the
    # first lane and a node the step does not build (stock levels against the currency seed) with the first.
    by_name = {manifest["nodes"][u]["name"]: u for u in tests}
    assert by_name["ledger_conserves_bronze_rows"] in rest
    assert by_name["currency_code_is_in_dim_currency"] in first


def test_a_test_neither_lane_would_run_keeps_one_invocation():
    """Two tests with one fully qualified name, one on the first lane, one across both: excluding the second
    from the first lane by its name would leave the first to neither lane."""
    def node(name: str, kind: str = "model", tags: tuple = (), on: tuple = ()) -> dict:
        return {"name": name, "resource_type": kind, "tags": list(tags), "fqn": ["p", name],
                "depends_on": {"nodes": list(on)}}

    nodes = {"model.p.state": node("state", tags=("commit_first",)), "model.p.ledger": node("ledger", on=("model.p.state",)),
             "test.p.id_is_unique.1": node("id_is_unique", "test", on=("model.p.state",)),
             "test.p.id_is_unique.2": node("id_is_unique", "test", on=("model.p.state", "model.p.ledger"))}
    manifest = {"nodes": nodes, "parent_map": {u: n["depends_on"]["nodes"] for u, n in nodes.items()}}
    assert build_lanes(manifest, {"model.p.state", "model.p.ledger"}) is None
    nodes["test.p.id_is_unique.2"]["fqn"] = ["p", "state_matches_ledger"]
    assert build_lanes(manifest, {"model.p.state", "model.p.ledger"}) == [
        ["--select", "p.state", "--exclude", "p.state_matches_ledger"], ["--select", "p.ledger"]]
    assert build_lanes(manifest, {"model.p.ledger"}) is None  # nothing to commit first


def test_a_later_lane_leaves_out_only_what_is_below_a_failure():
    nodes = {"model.p.state": {"fqn": ["p", "state"], "depends_on": {"nodes": []}},
             "model.p.rejects": {"fqn": ["p", "rejects"], "depends_on": {"nodes": ["model.p.state"]}},
             "test.p.no_rejects": {"fqn": ["p", "no_rejects"], "depends_on": {"nodes": ["model.p.rejects", "seed.p.codes"]}}}
    manifest = {"nodes": nodes}
    ran = [{"unique_id": "model.p.state", "status": "success"}, {"unique_id": "model.p.rejects", "status": "success"}]
    assert below_failures({"results": ran}, manifest) == []
    assert below_failures({"results": [*ran, {"unique_id": "test.p.no_rejects", "status": "fail"}]}, manifest) == [
        "--exclude", "p.rejects+"]
    assert below_failures({"results": [{"unique_id": "model.p.state", "status": "error"}]}, manifest) == [
        "--exclude", "p.state+"]
    assert below_failures({"results": []}, manifest) is None  # dbt failed before running anything
