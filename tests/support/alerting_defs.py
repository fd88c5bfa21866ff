"""A small code location for alerting tests: an asset with a freshness policy and a check, an asset
whose run can be made to fail with a real DuckDB write-write conflict, and a three-asset chain (source ->
middle -> report) with freshness policies, whose source going stale makes the whole chain stale. What each
does is switched by SWITCHES, so a test drives real state changes through real Dagster runs."""

from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb

SWITCHES = {"check": "pass", "conflict_db": None}
WIDGET = dg.AssetKey(["gold", "widget"])
LOADER = dg.AssetKey(["bronze", "loader"])
WIDGET_CHECK = "widget_is_sane"


@dg.asset(key=WIDGET, freshness_policy=dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=2), warn_window=timedelta(hours=1)))
def widget() -> None:
    return None


@dg.asset_check(asset=WIDGET, name=WIDGET_CHECK)
def widget_is_sane() -> dg.AssetCheckResult:
    state = SWITCHES["check"]
    if state == "pass":
        return dg.AssetCheckResult(passed=True, description="widget is fine")
    severity = dg.AssetCheckSeverity.WARN if state == "warn" else dg.AssetCheckSeverity.ERROR
    return dg.AssetCheckResult(passed=False, severity=severity, description=f"widget is broken ({state})")


def lose_a_write_race(path: Path) -> None:
    """Two transactions update the same row: DuckDB aborts the second with a write-write conflict."""
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE OR REPLACE TABLE t AS SELECT 1 AS id, 0 AS v")
        first, second = con.cursor(), con.cursor()
        first.execute("BEGIN TRANSACTION")
        second.execute("BEGIN TRANSACTION")
        first.execute("UPDATE t SET v = 1 WHERE id = 1")
        second.execute("UPDATE t SET v = 2 WHERE id = 1")
    finally:
        con.close()


@dg.asset(key=LOADER)
def loader() -> None:
    if SWITCHES["conflict_db"]:
        lose_a_write_race(Path(SWITCHES["conflict_db"]))


_HOURLY = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=2), warn_window=timedelta(hours=1))
CHAIN = (dg.AssetKey(["bronze", "source"]), dg.AssetKey(["silver", "middle"]), dg.AssetKey(["gold", "report"]))


@dg.asset(key=CHAIN[0], freshness_policy=_HOURLY)
def source() -> None:
    return None


@dg.asset(key=CHAIN[1], deps=[CHAIN[0]], freshness_policy=_HOURLY)
def middle() -> None:
    return None


@dg.asset(key=CHAIN[2], deps=[CHAIN[1]], freshness_policy=_HOURLY)
def report() -> None:
    return None


defs = dg.Definitions(assets=[widget, loader, source, middle, report], asset_checks=[widget_is_sane])
