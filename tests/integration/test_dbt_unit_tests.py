"""The dbt unit tests (`unit_tests:` in the models' ymls) run in make test, every one of them, and fail when
the logic they cover breaks.

dbt reads the column types of every input relation from the warehouse, so the tests run against a tmp
DuckDB holding the empty Bronze tables (the loaders' own DDL) and every model built empty
(`dbt run --empty`). They test the SQL, not the data, so dbt_project.yml enables them only under
`--vars '{unit_tests: true}'`: every build of the data (Dagster's, the offline Redshift DDL, the
PostgreSQL build) leaves them out, and the Dagster manifest has none to turn into asset checks."""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb
import pytest

from inventory_platform.bronze.loader import ensure_bronze_tables
from inventory_platform.landing_contract import SOURCE_TABLES

from ..support.dbt_runner import edited_project_copy, run_dbt

# Unit tests are disabled unless this var is set (dbt_project.yml), so that no build of the data runs them.
ENABLE_UNIT_TESTS = ["--vars", "{unit_tests: true}"]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """An empty Bronze (every source table, the CDC tables included) with every model built empty."""
    work = tmp_path_factory.mktemp("dbt_unit")
    path = work / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    try:
        for table in SOURCE_TABLES.values():
            ensure_bronze_tables(con, table)
    finally:
        con.close()
    env = {"INVENTORY_DUCKDB_PATH": str(path)}
    run_dbt(["run", "--empty"], "local", work, env)
    return work, env


@pytest.fixture(scope="module")
def unit_results(warehouse) -> tuple[list[dict], set[str]]:
    work, env = warehouse
    started = time.monotonic()
    results = run_dbt(["test", "--select", "test_type:unit", *ENABLE_UNIT_TESTS], "local", work, env)
    defined = set(json.loads((work / "target-local" / "manifest.json").read_text())["unit_tests"])
    print(f"\n{len(results)} dbt unit tests ran in {time.monotonic() - started:.1f} s")
    return results, defined


def test_every_unit_test_ran_and_passed(unit_results):
    results, defined = unit_results
    statuses = {r["unique_id"]: r["status"] for r in results}
    assert statuses, "no dbt unit test ran"
    assert set(statuses) == defined
    assert {u: s for u, s in statuses.items() if s != "pass"} == {}
    names = {u.split(".")[-1] for u in statuses}
    assert {"month_end_balances_carry_forward_and_revalue_at_cost_and_closing_rate",
            "value_translates_at_this_years_and_constant_currency_at_last_years_rate"} <= names


# A break of the logic each unit test covers, applied together in one project copy (one dbt parse).
# Each unit test must fail, not pass or error. (Measured by hand too: dropping carried balances,
# `where b.movement_count > 0`, fails the snapshot's test as well.)
BREAKS = {
    "month_end_balances_carry_forward_and_revalue_at_cost_and_closing_rate": (
        # every month valued at the cost of the first month end: no revaluation
        "fct_inventory_snapshot_month_end",
        "and b.month_end_date >= c.effective_from and b.month_end_date < c.effective_to",
        "and c.effective_from <= (select min(month_end_date) from month_ends) "
        "and (select min(month_end_date) from month_ends) < c.effective_to"),
    "value_translates_at_this_years_and_constant_currency_at_last_years_rate": (
        # constant currency at this year's rate instead of the prior year's
        "gold_inventory_value_monthly",
        "on pyfx.currency_code = g.currency_code and pyfx.month_key = {{ prior_year_month_key('g.month_key') }}",
        "on pyfx.currency_code = g.currency_code and pyfx.month_key = g.month_key"),
}


def test_breaking_the_logic_fails_its_unit_test(warehouse, tmp_path):
    work, env = warehouse
    (first, *others) = BREAKS.values()
    project = edited_project_copy(tmp_path / "dbt_project", *first)
    for model, old, new in others:
        path = next(project.glob(f"models/**/{model}.sql"))
        sql = path.read_text()
        assert old in sql, f"{old!r} not in {path}"
        path.write_text(sql.replace(old, new))
    results = run_dbt(["test", "--select", "test_type:unit", *ENABLE_UNIT_TESTS], "local", tmp_path, env,
                      expect_success=False, project_dir=project)
    statuses = {r["unique_id"].split(".")[-1]: r["status"] for r in results}
    assert {name: statuses.get(name) for name in BREAKS} == dict.fromkeys(BREAKS, "fail"), statuses
