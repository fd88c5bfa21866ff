"""Bronze source freshness: one definition of 'fresh' for dbt and Dagster, and a verdict per dbt status."""

from __future__ import annotations

import json
from datetime import timedelta

import dagster as dg

from inventory_platform.definitions import LAYER_POLICY, defs
from inventory_platform.landing_contract import SOURCE_TABLES
from inventory_platform.transform.dbt_assets import MANIFEST_PATH
from inventory_platform.transform.source_freshness import SOURCE_FRESHNESS_CHECK, check_result

_PERIOD = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


def _window(rule: dict) -> timedelta:
    return rule["count"] * _PERIOD[rule["period"]]


def test_every_bronze_source_has_dbt_freshness_equal_to_the_bronze_layer_policy():
    sources = {s["name"]: s for s in json.loads(MANIFEST_PATH.read_text())["sources"].values()
               if s["source_name"] == "bronze" and s["freshness"] and s["freshness"]["error_after"]["count"]}
    # Landed sources; the CDC stream's lag is watched by its own sensor (a quiet source is not stale).
    assert set(sources) == set(SOURCE_TABLES)
    policy = LAYER_POLICY["bronze"]["freshness"]
    for name, source in sources.items():
        assert source["loaded_at_field"] == "_loaded_at", name
        assert _window(source["freshness"]["warn_after"]) == policy.warn_window.to_timedelta(), name
        assert _window(source["freshness"]["error_after"]) == policy.fail_window.to_timedelta(), name


def test_every_bronze_asset_has_the_freshness_check():
    checks = {k for k in defs.get_repository_def().asset_graph.asset_check_keys if k.name == SOURCE_FRESHNESS_CHECK}
    assert {k.asset_key for k in checks} == {dg.AssetKey(["bronze", t]) for t in SOURCE_TABLES}


def _result(status: str, **extra) -> dict:
    return {"status": status, "max_loaded_at": "2026-01-01T00:00:00+00:00", "max_loaded_at_time_ago_in_s": 3600 * 27.5,
            "criteria": {"warn_after": {"count": 26, "period": "hour"}, "error_after": {"count": 30, "period": "hour"}},
            **extra}


def test_dbt_statuses_map_to_check_verdicts():
    passed = check_result("products", _result("pass"))
    assert passed.passed and passed.metadata["age_hours"].value == 27.5
    warned = check_result("products", _result("warn"))
    assert not warned.passed and warned.severity == dg.AssetCheckSeverity.WARN
    assert "older than 26 hours" in warned.description
    errored = check_result("products", _result("error"))
    assert not errored.passed and errored.severity == dg.AssetCheckSeverity.ERROR
    broken = check_result("products", {"status": "runtime error", "message": "Table bronze.products does not exist"})
    assert not broken.passed and broken.severity == dg.AssetCheckSeverity.ERROR
    assert "does not exist" in broken.description
    missing = check_result("products", None)
    assert not missing.passed and missing.severity == dg.AssetCheckSeverity.ERROR
