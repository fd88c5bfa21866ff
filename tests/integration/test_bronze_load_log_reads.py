"""Questions the load log answers are read from it, not from the ledger's Bronze view (issue 18): the view
opens every loaded Parquet file (1,461 at `full`) on each scan. On a Bronze of simulated `tiny` data after
a re-sent file, a quarantined file and a cold-tier offload, the log-based answers (the dbt macros
bronze_loaded_through, ledger_rows_by_month, source freshness, and DR failback's rows per batch) equal the
view's, computed here by scanning it; then, with a landed file moved away, so that any read of the view
fails, they still answer: they do not read it. restated_key_versions still reads the view, but names it
twice instead of four times, with the same rows."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from inventory_platform.bronze import in_place
from inventory_platform.bronze.loader import load_files
from inventory_platform.dr.failback import bronze_batches
from inventory_platform.landing_contract import INVENTORY_TRANSACTIONS
from inventory_platform.settings import DBT_PROJECT_DIR
from inventory_platform.transform.dbt_cli import dbt_executable

from ..support.tiny_bronze import build_tiny_bronze

VIEW = "bronze.inventory_transactions"
SPLIT = "-- next question --"
# One inline dbt statement rendering every macro under test, split on SPLIT after compiling.
INLINE = f"""
{{% set bronze = {{}} %}}
{{% for t in snapshot_bronze_sources() %}}{{% do bronze.update({{t: source('bronze', t)}}) %}}{{% endfor %}}
{{{{ bronze_loaded_through(bronze) }}}}
{SPLIT}
select * from ({{{{ ledger_rows_by_month(source('bronze', 'inventory_transactions'), "cast('2024-02-15' as date)") }}}}) as m
order by month_start
{SPLIT}
select count(*), sum(quantity), sum(transaction_id) from {{{{ restated_key_versions(source('bronze', 'inventory_transactions'),
    "cast('2024-02-01' as date)", "cast('2024-03-01' as date)") }}}} as v
"""


def _dbt(command: list[str], work: Path, warehouse: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [dbt_executable(), *command, "--target", "local", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        env={**os.environ, "INVENTORY_DUCKDB_PATH": str(warehouse)}, cwd=DBT_PROJECT_DIR,
        capture_output=True, text=True, timeout=600)


def _resend(landing: Path, day: str, con: duckdb.DuckDBPyConnection, quarantine: Path) -> None:
    """A corrected file of `day` re-sends its first rows with another quantity (new versions of old keys)."""
    source = sorted((landing / "inventory_transactions" / f"date={day}").glob("*.parquet"))[0]
    rows = pq.read_table(source).slice(0, 5)
    rows = rows.set_column(rows.schema.get_field_index("quantity"), "quantity", pc.add(rows["quantity"], 1))
    pq.write_table(rows, source.parent / "corrected.parquet")
    result = load_files(con, INVENTORY_TRANSACTIONS, [source.parent / "corrected.parquet"], quarantine,
                        landing_dir=landing)
    assert result.rows_loaded == 5 and not result.rejections


def _quarantine(landing: Path, day: str, con: duckdb.DuckDBPyConnection, quarantine: Path) -> None:
    """A file whose rows are not of its folder's day: rejected, so none of its rows is Bronze."""
    source = sorted((landing / "inventory_transactions" / f"date={day}").glob("*.parquet"))[0]
    wrong = landing / "inventory_transactions" / "date=2024-03-03" / "misfiled.parquet"
    pq.write_table(pq.read_table(source).slice(0, 3), wrong)  # new content: not a copy of a loaded file
    result = load_files(con, INVENTORY_TRANSACTIONS, [wrong], quarantine, landing_dir=landing)
    assert result.rows_loaded == 0 and len(result.rejections) == 1


def _offload_before(cutoff: str, con: duckdb.DuckDBPyConnection) -> None:
    """What the cold tier's offload does to Bronze (cold_tier/offload.py commit_offload): its days' files
    carry the offload id and leave the view."""
    con.execute("BEGIN TRANSACTION")
    con.execute("UPDATE bronze.load_log SET offload_id = 'test-offload' WHERE source_table = 'inventory_transactions' "
                "AND try_cast(regexp_extract(source_file, 'date=([0-9-]{10})', 1) AS DATE) < ?", [cutoff])
    in_place.create_views(con, INVENTORY_TRANSACTIONS)
    con.execute("COMMIT")


def _view_answers(con: duckdb.DuckDBPyConnection) -> dict:
    others = " union all ".join(f"select max(_loaded_at) from bronze.{t}" for t in
                                ("cdc_events", "opening_balances", "standard_costs", "fx_rates", "products", "warehouses"))
    return {
        "loaded_through": con.execute(f"select max(m) from (select max(_loaded_at) as m from {VIEW} union all {others})").fetchall(),
        "rows_by_month": con.execute(f"select cast(date_trunc('month', event_ts) as date) as m, count(*) from {VIEW} "
                                     "where event_ts >= timestamp '2024-02-01' group by 1 order by 1").fetchall(),
        "key_versions": con.execute(f"select count(*), sum(quantity), sum(transaction_id) from {VIEW} where transaction_id in "
                                    f"(select transaction_id from {VIEW} where event_ts >= timestamp '2024-02-01' "
                                    "and event_ts < timestamp '2024-03-01')").fetchall(),
        "ledger_loaded_at": con.execute(f"select max(_loaded_at) from {VIEW}").fetchone()[0],
        "batches": {f"bronze.{v}": dict(con.execute(f"select _batch_id, count(*) from bronze.{v} group by 1").fetchall())
                    for v in ("inventory_transactions", "inventory_transactions_offloaded")},
    }


@pytest.fixture(scope="module")
def bronze(tmp_path_factory):
    """The warehouse, the view's answers, and the macros compiled against it; then a landed file is moved
    away, so that any read of the view fails from here on."""
    root = tmp_path_factory.mktemp("load_log_reads")
    warehouse = build_tiny_bronze(root, seed=5)
    landing, quarantine = root / "landing", root / "quarantine"
    with duckdb.connect(str(warehouse)) as con:
        _resend(landing, "2024-02-20", con, quarantine)
        _quarantine(landing, "2024-02-21", con, quarantine)
        _offload_before("2024-02-01", con)
        expected = _view_answers(con)
    assert expected["rows_by_month"] and expected["key_versions"][0][0] > 0
    assert expected["batches"]["bronze.inventory_transactions_offloaded"], "the offload moved no file"

    compiled = _dbt(["compile", "--quiet", "--inline", INLINE], root, warehouse)
    assert compiled.returncode == 0, compiled.stdout[-4000:] + compiled.stderr[-2000:]
    sql = dict(zip(("loaded_through", "rows_by_month", "key_versions"), compiled.stdout.split(SPLIT), strict=True))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        key_versions = con.execute(sql["key_versions"]).fetchall()

    moved = sorted((landing / "inventory_transactions" / "date=2024-02-10").glob("*.parquet"))[0]
    moved.rename(root / "moved_away.parquet")
    with duckdb.connect(str(warehouse), read_only=True) as con, pytest.raises(duckdb.IOException):
        con.execute(f"select count(*) from {VIEW}").fetchall()
    return {"root": root, "warehouse": warehouse, "expected": expected, "sql": sql, "key_versions": key_versions}


@pytest.mark.parametrize("question", ["loaded_through", "rows_by_month"])
def test_the_window_reads_the_log_and_answers_as_the_view(bronze, question):
    with duckdb.connect(str(bronze["warehouse"]), read_only=True) as con:
        assert con.execute(bronze["sql"][question]).fetchall() == bronze["expected"][question]


def test_restated_key_versions_names_the_view_twice_with_the_same_rows(bronze):
    sql = bronze["sql"]["key_versions"]
    assert len(re.findall(r'"bronze"\."inventory_transactions"', sql)) == 2, sql  # was four: the rows, the keys, their min and max
    assert bronze["key_versions"] == bronze["expected"]["key_versions"]


def test_failback_counts_rows_per_batch_from_the_log(bronze):
    batches = bronze_batches(bronze["warehouse"])[0]
    assert {k: batches[k] for k in bronze["expected"]["batches"]} == bronze["expected"]["batches"]


def test_source_freshness_of_the_ledger_reads_the_log(bronze):
    root, warehouse = bronze["root"], bronze["warehouse"]
    freshness = _dbt(["source", "freshness", "--select", "source:bronze.inventory_transactions"], root, warehouse)
    result, = json.loads((root / "target" / "sources.json").read_text())["results"]
    assert result["status"] == "pass", freshness.stdout[-3000:]
    assert datetime.fromisoformat(result["max_loaded_at"]).replace(tzinfo=None) == bronze["expected"]["ledger_loaded_at"]
