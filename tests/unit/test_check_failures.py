"""Failed dbt checks are reported as failed (ERROR) and described by their failing rows; a failed dbt
build says what stopped it and what it skipped."""

from __future__ import annotations

import dagster as dg

from inventory_platform.transform.check_failures import explained_check_results, why_dbt_failed

# Two tests of one name on two models (dbt names them by `name:`): only one of them explains its failures.
MANIFEST = {"nodes": {
    "test.p.explained.1": {"resource_type": "test", "name": "explained", "unique_id": "test.p.explained.1",
                           "config": {"meta": {"failure_message": True}}},
    "test.p.explained.3": {"resource_type": "test", "name": "explained", "unique_id": "test.p.explained.3",
                           "config": {}},
    "test.p.plain.2": {"resource_type": "test", "name": "plain", "unique_id": "test.p.plain.2", "config": {}},
}}
RUN_RESULTS = {"results": [{"unique_id": "test.p.explained.1", "compiled_code": "select 'x' as failure_message"},
                           {"unique_id": "test.p.explained.3", "compiled_code": "select 1"},
                           {"unique_id": "test.p.plain.2", "compiled_code": "select 1"}]}


def check(name: str, passed: bool, severity=dg.AssetCheckSeverity.WARN, failed_rows: int = 2,
          unique_id: str = "test.p.explained.1") -> dg.AssetCheckResult:
    """As dagster-dbt reports a test: named by the test's `name`, its node's unique id in the metadata."""
    return dg.AssetCheckResult(asset_key="t", check_name=name, passed=passed, severity=severity,
                               metadata={"dagster_dbt/failed_row_count": failed_rows, "unique_id": unique_id})


def test_a_failed_check_is_error_and_described_by_its_failing_rows():
    queries = []

    def query(sql):
        queries.append(sql)
        return [("SKU-1 has no cost: load one",), ("SKU-2 has no cost: load one",)]

    events = list(explained_check_results([check("explained", False, failed_rows=25),
                                           check("plain", False, unique_id="test.p.plain.2"),
                                           check("explained", True),
                                           check("explained", False, unique_id="test.p.explained.3")],
                                          MANIFEST, RUN_RESULTS, query, print))
    explained, plain, passing, namesake = events
    assert explained.severity == plain.severity == namesake.severity == dg.AssetCheckSeverity.ERROR
    assert explained.description == "SKU-1 has no cost: load one; SKU-2 has no cost: load one; and 23 more"
    assert plain.description is None and namesake.description is None
    assert passing.severity == dg.AssetCheckSeverity.WARN
    assert len(queries) == 1 and "select 'x' as failure_message" in queries[0]


def test_rows_that_cannot_be_read_back_still_report_the_failure():
    def broken(sql):
        raise RuntimeError("database is locked")

    logged = []
    [event] = explained_check_results([check("explained", False)], MANIFEST, RUN_RESULTS, broken, logged.append)
    assert not event.passed and event.severity == dg.AssetCheckSeverity.ERROR
    assert "database is locked" in logged[0]


def test_a_failed_build_names_the_failing_check_and_the_skipped_models():
    results = {"results": [
        {"unique_id": "test.inventory_platform.positive_cost.abc", "status": "fail"},
        {"unique_id": "test.inventory_platform.no_rejected_transactions", "status": "warn"},
        {"unique_id": "model.inventory_platform.gold_inventory_value_monthly", "status": "skipped"},
        {"unique_id": "model.inventory_platform.dim_date", "status": "success"},
    ]}
    assert why_dbt_failed(results) == ("dbt build failed, error-severity check(s) failed: positive_cost; "
                                       "dbt skipped every model downstream: gold_inventory_value_monthly")
    broken = {"results": [{"unique_id": "model.inventory_platform.dim_date", "status": "error",
                           "message": "Binder Error: column x\nmore"}]}
    assert why_dbt_failed(broken) == "dbt build failed, model(s) in error: dim_date (Binder Error: column x)"
    assert "before running its models" in why_dbt_failed({})
