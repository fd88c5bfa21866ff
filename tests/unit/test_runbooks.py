"""Runbooks: each has detection, root cause, resolution and prevention; every query a runbook names
exists in monitoring_queries.sql and every query is used by a runbook; alerts route to the right one."""

from __future__ import annotations

import re

import dagster as dg
import pytest

from inventory_platform.monitoring import runbooks
from inventory_platform.monitoring.queries import all_queries
from inventory_platform.settings import REPO_ROOT

SECTIONS = ("## Detection", "## Root cause", "## Resolution", "## Prevention (in code)")
QUERY_NAME = re.compile(r"`((?:redshift|duckdb)_[a-z_]+)`")


def text(runbook: str) -> str:
    return (REPO_ROOT / runbook.split("#")[0]).read_text()


@pytest.mark.parametrize("runbook", runbooks.ALL_RUNBOOKS)
def test_runbook_has_the_four_sections_in_order(runbook):
    body = text(runbook)
    positions = [body.find(s) for s in SECTIONS]
    assert -1 not in positions and positions == sorted(positions), f"{runbook}: sections {SECTIONS}"


@pytest.mark.parametrize("runbook", runbooks.ALL_RUNBOOKS)
def test_detection_names_existing_queries_for_both_engines(runbook):
    body = text(runbook)
    detection = body[body.find("## Detection"):body.find("## Root cause")]
    named = set(QUERY_NAME.findall(detection))
    known = {q.name: q.engine for q in all_queries()}
    assert named - set(known) == set(), f"{runbook} names unknown queries"
    assert {known[n] for n in named} >= {"duckdb", "redshift"}, f"{runbook} lacks a DuckDB or a Redshift query"


def test_every_query_is_referenced_by_a_runbook():
    named = {n for r in runbooks.ALL_RUNBOOKS for n in QUERY_NAME.findall(text(r))}
    assert {q.name for q in all_queries()} - named == set()


def test_prevention_points_at_the_code_that_prevents():
    serialization = text(runbooks.SERIALIZATION)
    prevention = serialization[serialization.find("## Prevention"):]
    for code in ("lib/write_conflicts.py", "duckdb_writer", "retry_write_conflicts", ".dagster_home/dagster.yaml"):
        assert code in prevention, code
    for runbook in runbooks.ALL_RUNBOOKS:
        body = text(runbook)
        assert re.search(r"`[\w/.]+\.py`", body[body.find("## Prevention"):]), runbook
    assert "#a-run-failed" in runbooks.FAILED_RUN and "### A run failed" in text(runbooks.FRESHNESS)


def test_alerts_route_to_the_runbook_of_their_failure_mode():
    gold = dg.AssetKey(["gold", "gold_inventory_value_monthly"])
    assert runbooks.runbook_for_freshness(gold) == runbooks.FRESHNESS
    assert runbooks.runbook_for_freshness(dg.AssetKey(["bronze", "inventory_cdc_events"])) == runbooks.CDC_LAG
    assert runbooks.runbook_for_check(dg.AssetCheckKey(gold, "unique_month_key")) == runbooks.DATA_CHECKS
    cdc_check = dg.AssetCheckKey(dg.AssetKey(["bronze", "stock_levels"]), "cdc_lag_within_thresholds")
    assert runbooks.runbook_for_check(cdc_check) == runbooks.CDC_LAG
    storage = dg.AssetCheckKey(dg.AssetKey(["ops", "warehouse_storage"]), "disk_usage_within_thresholds")
    assert runbooks.runbook_for_check(storage, {"runbook": dg.MetadataValue.path(runbooks.DISK_SPACE)}) == runbooks.DISK_SPACE
    assert runbooks.runbook_for_run_failure(
        "duckdb.duckdb.TransactionException: TransactionContext Error: Conflict on update!") == runbooks.SERIALIZATION
    assert runbooks.runbook_for_run_failure(
        "ERROR: 1023 DETAIL: Serializable isolation violation on table - 100234") == runbooks.SERIALIZATION
    assert runbooks.runbook_for_run_failure("IO Error: No space left on device") == runbooks.DISK_SPACE
    assert runbooks.runbook_for_run_failure("dbt compilation error in model x") == runbooks.FAILED_RUN
