"""The verification checklist run on a restored warehouse before it takes traffic.

Every item passes or fails on its own; the copy is fit only when all pass. Items: the set of tables
and each table's row count and checksum against the backup manifest (what the primary held), the
restored landing zone and cold tier file by file against the manifest's SHA-256, Gold reconciled
with Silver in SQL independent of the dbt tests, freshness of the newest loaded row, and the dbt
tests themselves run against the restored file.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from inventory_platform.dr.backup import summarize, tree_problems
from inventory_platform.dr.fingerprints import newest_loaded_at, read_only, table_fingerprints
from inventory_platform.settings import DBT_PROJECT_DIR

DBT_TIMEOUT_S = 900


@dataclass(frozen=True)
class CheckItem:
    name: str
    passed: bool
    detail: str


# Gold values are rounded to cents per cell, so a month may differ from Silver by half a cent per cell.
GOLD_VS_SILVER = """
with silver as (
    select month_key, sum(quantity_on_hand) as qty, sum(value_usd) as usd
    from silver.fct_inventory_snapshot_month_end_detail group by month_key
), gold as (
    select month_key, sum(quantity_on_hand) as qty, sum(value_usd) as usd, count(*) as cells
    from gold.gold_inventory_value_monthly group by month_key
)
select coalesce(s.month_key, g.month_key) as month_key, s.qty, g.qty, s.usd, g.usd
from silver as s full join gold as g on g.month_key = s.month_key
where s.qty is distinct from g.qty or g.usd is null or s.usd is null
   or abs(s.usd - g.usd) > 0.005 * g.cells + 0.01
order by 1
"""

REGION_VS_MONTHLY = """
with monthly as (
    select month_key, sum(quantity_on_hand) as qty, sum(value_usd) as usd, count(*) as cells
    from gold.gold_inventory_value_monthly group by month_key
), by_region as (
    select month_key, sum(quantity_on_hand) as qty, sum(value_usd) as usd
    from gold.gold_inventory_value_by_region group by month_key
)
select coalesce(m.month_key, r.month_key) as month_key, m.qty, r.qty, m.usd, r.usd
from monthly as m full join by_region as r on r.month_key = m.month_key
where m.qty is distinct from r.qty or m.usd is null or r.usd is null or abs(m.usd - r.usd) > 0.01
order by 1
"""


def _mismatch_item(name: str, rows: list[tuple], months: int) -> CheckItem:
    if not rows:
        return CheckItem(name, True, f"{months} months agree")
    first = rows[0]
    return CheckItem(name, False, f"{len(rows)} month(s) differ, e.g. month {first[0]}: qty {first[1]} vs {first[2]}, "
                                  f"USD {first[3]} vs {first[4]}")


def table_items(expected: dict[str, dict], actual: dict[str, dict]) -> list[CheckItem]:
    missing, extra = sorted(expected.keys() - actual.keys()), sorted(actual.keys() - expected.keys())
    items = [CheckItem("tables: same set as the backup", not missing and not extra,
                       f"{len(expected)} tables" if not missing and not extra else f"missing {missing}, extra {extra}")]
    for table in sorted(expected.keys() & actual.keys()):
        want, got = expected[table], actual[table]
        same = want == got
        detail = f"{got['rows']:,} rows, checksum matches" if same else (
            f"rows {got['rows']:,} (backup {want['rows']:,})" + ("" if got["checksum"] == want["checksum"] else ", checksum differs"))
        items.append(CheckItem(f"rows+checksum {table}", same, detail))
    return items


def restored_file_items(restored_dir: Path, manifest: dict) -> list[CheckItem]:
    """Every backed-up landing and cold-tier file is still in the restored copy, unchanged. Files added
    since the failover are the copy's new loads, not damage."""
    items = []
    for part in ("landing", "cold"):
        if manifest[part].get("present"):
            problems = tree_problems(restored_dir / part, part, manifest[part], allow_new=True)
            detail = summarize(problems) if problems else f"{manifest[part]['files']:,} files match the backup"
            items.append(CheckItem(f"{part} files: SHA-256 as backed up", not problems, detail))
    return items


def warehouse_items(duckdb_path: Path, manifest: dict, freshness_hours: float, now: datetime | None = None) -> list[CheckItem]:
    with read_only(duckdb_path) as con:
        items = table_items(manifest["tables"], table_fingerprints(con))
        months = con.execute("select count(distinct month_key) from gold.gold_inventory_value_monthly").fetchone()[0]
        items.append(_mismatch_item("gold reconciliation: gold monthly = silver month-end snapshot",
                                    con.execute(GOLD_VS_SILVER).fetchall(), months))
        items.append(_mismatch_item("gold reconciliation: gold by region = gold monthly",
                                    con.execute(REGION_VS_MONTHLY).fetchall(), months))
        newest = newest_loaded_at(con)
    items.append(freshness_item(newest, freshness_hours, now or datetime.now(UTC)))
    return items


def freshness_item(newest: datetime | None, freshness_hours: float, now: datetime) -> CheckItem:
    name = f"freshness: newest loaded row within {freshness_hours:g} h"
    if newest is None:
        return CheckItem(name, False, "no Bronze table has a _loaded_at")
    age_h = (now - newest.replace(tzinfo=UTC)).total_seconds() / 3600
    return CheckItem(name, age_h <= freshness_hours, f"newest {newest:%Y-%m-%d %H:%M:%S} UTC, {age_h:.2f} h old")


def dbt_test_item(duckdb_path: Path, work_dir: Path) -> CheckItem:
    """`dbt test` against the restored file, in its own target/log folders."""
    from inventory_platform.transform.dbt_cli import dbt_executable  # imports Dagster: only when dbt runs

    work_dir.mkdir(parents=True, exist_ok=True)
    target = work_dir / "dbt_target"
    proc = subprocess.run(
        [dbt_executable(), "test", "--target", "local", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target), "--log-path", str(work_dir / "dbt_logs")],
        env={**os.environ, "INVENTORY_DUCKDB_PATH": str(duckdb_path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=DBT_TIMEOUT_S)
    results_file = target / "run_results.json"
    if not results_file.exists():
        return CheckItem("dbt tests green", False, f"dbt test exited {proc.returncode} without results: {proc.stdout[-300:]}")
    results = json.loads(results_file.read_text())["results"]
    bad = sorted(r["unique_id"].split(".")[2] for r in results if r["status"] in ("fail", "error"))
    passed = sum(r["status"] == "pass" for r in results)
    if bad or proc.returncode != 0:
        return CheckItem("dbt tests green", False, f"{len(bad)} failed/errored of {len(results)}: {', '.join(bad[:5])}")
    return CheckItem("dbt tests green", True, f"{passed} passed, {len(results) - passed} warned/skipped")


def run_checklist(duckdb_path: Path, manifest: dict, freshness_hours: float, work_dir: Path,
                  with_dbt: bool = True) -> list[CheckItem]:
    """The checklist on a restored copy: its warehouse file and, beside it, its landing and cold folders."""
    items = warehouse_items(duckdb_path, manifest, freshness_hours) + restored_file_items(duckdb_path.parent, manifest)
    if with_dbt:
        items.append(dbt_test_item(duckdb_path, work_dir))
    return items
