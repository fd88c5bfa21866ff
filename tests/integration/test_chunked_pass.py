"""The ledger's chunked restatement pass through Dagster (docs/late_arriving.md "Chunks").

The job build_silver_gold with a small INVENTORY_CHUNK_ROWS builds the ledger chain (window, resolved
ledger, fact, rejects, snapshot, Gold) a couple of years per dbt invocation. Whatever happens to a pass
(a kill between chunks, a failing check in a chunk, new Bronze landed while it is interrupted), Silver and
Gold end equal, row for row, to a one-chunk build of the same Bronze; a daily run stays one dbt
invocation; the chain's materializations of a chunk that is not the pass's last go without row counts and
column types (the last one records them). The killed run is the real CLI in its own process (SIGKILL);
the others run the same job in this process (orchestration/materialize.py, as the CLI does), on the same
Dagster instance, so a run killed there is recovered as a user's next run recovers it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.events import DagsterEventType
from dagster._core.instance.ref import InstanceRef

from inventory_platform.orchestration.materialize import RunSummary, materialize_everything
from inventory_platform.settings import load_settings

from ..support.dbt_runner import run_dbt
from ..support.landed_ledger import land_ledger_insert
from ..support.tiny_bronze import build_tiny_bronze

CHUNK_ROWS = "250000"  # `tiny` has ~9K ledger rows a month: two chunks of a first build (~27 months, then the rest)
WINDOW = "silver.int_ledger_restate_window"
DONE_KEY = dg.AssetKey(["silver", "int_ledger_chunk_done"])
NOW = "CAST(now() AT TIME ZONE 'UTC' AS TIMESTAMP)"
# Bronze that lands after the build: a movement of June 2022 (the pass restates from there), one of
# February 2024, and one of September 2025 that leaves a warehouse as a transfer nobody receives (the
# pass's second chunk's error-severity test transfers_balance_across_warehouses fails).
LATE_ROWS = f"""
    INSERT INTO bronze.inventory_transactions
    SELECT 990000000 + n, event_ts + (n * INTERVAL 600 DAY), warehouse_id, sku_id,
           CASE WHEN n = 2 THEN 'TRANSFER_OUT' ELSE 'ADJUSTMENT' END, CASE WHEN n = 2 THEN -4 ELSE 3 + n END,
           'LATE-' || n, 'late', _source_file, _source_row, {NOW}
    FROM (SELECT * FROM bronze.inventory_transactions
          WHERE CAST(event_ts AS DATE) = DATE '2022-06-14' ORDER BY transaction_id LIMIT 1) AS first_one,
         range(0, 3) AS t(n)"""
CORRECTION = f"""
    INSERT INTO bronze.inventory_transactions
    SELECT transaction_id, event_ts, warehouse_id, sku_id, 'ADJUSTMENT', quantity, reference_id,
           'corrected', _source_file, _source_row, {NOW}
    FROM bronze.inventory_transactions WHERE reference_id = 'LATE-2'"""
A_NEW_DAY = f"""
    INSERT INTO bronze.inventory_transactions
    SELECT 980000000 + n, event_ts, warehouse_id, sku_id, 'ADJUSTMENT', n, 'NEW-' || n,
           'daily', _source_file, _source_row, {NOW}
    FROM (SELECT * FROM bronze.inventory_transactions ORDER BY event_ts DESC, transaction_id LIMIT 1) AS last_one,
         range(1, 4) AS t(n)"""


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def execute(db: Path, *statements: str) -> None:
    con = duckdb.connect(str(db))
    try:
        for sql in statements:  # the ledger's Bronze is its loaded files: the rows are landed and loaded
            land_ledger_insert(con, sql, db.parent / "landing_added")
    finally:
        con.close()


def silver_and_gold(db: Path, stamps: tuple[str, ...] = ("build_id",)) -> dict[str, list[tuple]]:
    """Every Silver and Gold table, rows sorted, without the stamps named (build_id counts invocations); the
    working tables of the pass itself left out."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute("""
            SELECT table_schema || '.' || table_name FROM information_schema.tables
            WHERE table_schema IN ('silver', 'gold')
              AND table_name NOT IN ('int_ledger_restate_window', 'int_ledger_chunk_done', 'int_ledger_resolved')
            ORDER BY 1""").fetchall()
        out = {}
        for (table,) in tables:
            schema, name = table.split(".")
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
                "ORDER BY ordinal_position", [schema, name]).fetchall() if c not in stamps]
            out[table] = con.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY ALL").fetchall()
        return out
    finally:
        con.close()


def window_log(db: Path) -> list[tuple]:
    return query(db, f"""SELECT w.build_id, w.pass_from, w.restated_from, w.restated_until, w.is_full_history,
                                d.build_id IS NOT NULL AS done
                         FROM {WINDOW} AS w LEFT JOIN silver.int_ledger_chunk_done AS d USING (build_id)
                         ORDER BY w.build_id""")


def cli_env(work: Path, landing: Path) -> dict[str, str]:
    return {"INVENTORY_ENV": "local", "INVENTORY_DATA_DIR": str(work),
            "INVENTORY_DUCKDB_PATH": str(work / "warehouse.duckdb"), "INVENTORY_LANDING_DIR": str(landing),
            "INVENTORY_QUARANTINE_DIR": str(work / "quarantine"), "DAGSTER_HOME": str(work / "dagster_home"),
            "INVENTORY_CHUNK_ROWS": CHUNK_ROWS, "COLUMNS": "200"}


def materialize(defs: dg.Definitions, work: Path, landing: Path) -> RunSummary:
    """`inventory-platform materialize --job build_silver_gold`, in this process: the CLI's own code."""
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(work / "dagster_home"))) as instance:
        summary, = materialize_everything(defs, instance, landing, ["build_silver_gold"])
    return summary


def done_marks(work: Path) -> int:
    """Chunks the runs so far recorded done (read from Dagster's event log, as the UI would)."""
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(work / "dagster_home"))) as instance:
        return len(instance.fetch_materializations(DONE_KEY, limit=100).records)


def materialize_killed_after(work: Path, landing: Path, chunks: int) -> None:
    """Start materialize and SIGKILL it (and its dbt) as soon as `chunks` chunks are done."""
    (work / "dagster_home").mkdir(exist_ok=True)
    proc = subprocess.Popen([str(Path(sys.executable).with_name("inventory-platform")), "materialize", "--job",
                             "build_silver_gold"], env={**os.environ, **cli_env(work, landing)}, cwd=work,
                            start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 600
        while done_marks(work) < chunks:
            assert proc.poll() is None, "materialize ended before the chunks to kill it after"
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def run_events(work: Path, event_type: DagsterEventType) -> list:
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(work / "dagster_home"))) as instance:
        run_id = instance.get_runs(limit=1)[0].run_id
        return [r.event_log_entry.dagster_event for r in
                instance.get_records_for_run(run_id, of_type=event_type, limit=10_000).records]


def one_chunk_build(bronze: Path, work: Path, *args: str, stamps: tuple[str, ...] = ("build_id",)) -> dict:
    """Silver and Gold of a dbt build of everything (seeds and models; the tests run in the chunked builds)
    in one chunk (the chunk var unset)."""
    work.mkdir()
    shutil.copy(bronze, work / "warehouse.duckdb")
    run_dbt(["build", "--resource-type", "model", "--resource-type", "seed", *args], "local", work,
            {"INVENTORY_DUCKDB_PATH": str(work / "warehouse.duckdb")})
    return silver_and_gold(work / "warehouse.duckdb", stamps)


# Rows a restatement leaves alone keep the watermark of the build that wrote them; a rebuild stamps every row.
INCREMENTAL_STAMPS = ("build_id", "bronze_loaded_through")


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("chunked_pass")
    bronze = build_tiny_bronze(root, seed=3)
    landing = root / "landing"
    states: dict = {"one_chunk": one_chunk_build(bronze, root / "one_chunk")}

    # A first build, killed (the CLI's process) after its first chunk, then rerun.
    work = root / "chunked"
    work.mkdir()
    shutil.copy(bronze, work / "warehouse.duckdb")
    materialize_killed_after(work, landing, chunks=1)
    states["log_killed"] = window_log(work / "warehouse.duckdb")
    env = pytest.MonkeyPatch()
    for var, value in cli_env(work, landing).items():
        env.setenv(var, value)
    try:
        from inventory_platform.definitions import build_defs

        defs = build_defs(load_settings())
        states["resumed"] = materialize(defs, work, landing)
        states["log_resumed"] = window_log(work / "warehouse.duckdb")
        states["chunked"] = silver_and_gold(work / "warehouse.duckdb")

        # A daily run: movements of the newest day.
        execute(work / "warehouse.duckdb", A_NEW_DAY)
        states["daily"] = materialize(defs, work, landing)
        states["log_daily"] = window_log(work / "warehouse.duckdb")
        states["daily_fct_materializations"] = [
            e for e in run_events(work, DagsterEventType.ASSET_MATERIALIZATION)
            if e.asset_key == dg.AssetKey(["silver", "fct_inventory_transactions"])]

        # Late rows restate from June 2022; one of them fails its chunk's check; the correction lands while
        # the pass is interrupted.
        execute(work / "warehouse.duckdb", LATE_ROWS)
        states["failed"] = materialize(defs, work, landing)
        states["log_failed"] = window_log(work / "warehouse.duckdb")
        execute(work / "warehouse.duckdb", CORRECTION)
        states["corrected"] = materialize(defs, work, landing)
        states["log_corrected"] = window_log(work / "warehouse.duckdb")
        states["corrected_materializations"] = run_events(work, DagsterEventType.ASSET_MATERIALIZATION)
    finally:
        env.undo()
    states["fct_rows"] = query(work / "warehouse.duckdb", "SELECT count(*) FROM silver.fct_inventory_transactions")[0][0]
    states["after_correction"] = silver_and_gold(work / "warehouse.duckdb", INCREMENTAL_STAMPS)
    states["rebuilt"] = one_chunk_build(work / "warehouse.duckdb", root / "rebuilt", "--full-refresh",
                                        stamps=INCREMENTAL_STAMPS)
    return states


def test_a_chunked_first_build_equals_a_one_chunk_build(history):
    assert history["resumed"].success, history["resumed"].error
    log = history["log_resumed"]
    assert len([row for row in log if row[5]]) >= 2 and all(full for *_, full, _ in log)  # one whole-history pass
    assert log[-1][3] is None and log[-1][5]  # its last chunk runs to the end, done
    assert len(history["one_chunk"]["silver.fct_inventory_transactions"]) > 400_000
    assert history["chunked"] == history["one_chunk"]


def test_a_killed_pass_resumes_at_its_next_chunk(history):
    killed, resumed = history["log_killed"], history["log_resumed"]
    assert [done for *_, done in killed[:1]] == [True]
    # The rerun continues the pass: each chunk starts where the one before ended, none from the start again.
    assert [row[2] for row in resumed if row[5]] == [None] + [row[3] for row in resumed if row[5]][:-1]
    assert [row[2] for row in resumed].count(None) == 1


def test_a_failing_chunk_fails_the_run_naming_its_days(history):
    failed, log = history["failed"], history["log_failed"]
    assert not failed.success
    pass_start = max(row[0] for row in log if row[2] == row[1] and not row[4])  # this pass's first chunk
    chunks = [row for row in log if row[0] >= pass_start]
    assert chunks[0][1].isoformat() == "2022-06-14" and chunks[0][5]  # the late rows' day; chunk 1 done
    bad = chunks[-1]
    assert len(chunks) >= 2 and not bad[5] and bad[2] <= date(2025, 9, 26)  # the unreceived transfer's day
    assert bad[3] is None or date(2025, 9, 26) < bad[3]
    assert f"event days {bad[2].isoformat()}" in failed.error  # what the CLI prints as the run's failure
    assert "transfers_balance_across_warehouses" in failed.error


def test_new_bronze_during_an_interrupted_pass_starts_a_new_pass_that_ends_equal_to_a_rebuild(history):
    assert history["corrected"].success, history["corrected"].error
    before = {row[0] for row in history["log_failed"]}
    new = [row for row in history["log_corrected"] if row[0] not in before]
    assert new[0][2] == new[0][1] and new[0][1].isoformat() == "2022-06-14"  # a new pass from the late day
    assert all(done for *_, done in new) and new[-1][3] is None
    assert history["after_correction"] == history["rebuilt"]


def test_a_daily_run_is_one_dbt_invocation(history):
    assert history["daily"].success, history["daily"].error
    new = history["log_daily"][len(history["log_resumed"]):]
    assert len(new) == 1 and new[0][3] is None and new[0][5]  # one window row: one invocation, pass complete
    assert len(history["daily_fct_materializations"]) == 1


def test_only_the_last_chunk_of_a_pass_records_row_counts_and_columns_of_the_chain(history):
    """The corrected pass ran two chunks: the first (dbt's build of everything) and the last (the chain)."""
    events = history["corrected_materializations"]
    fct = [e.event_specific_data.materialization.metadata for e in events
           if e.asset_key == dg.AssetKey(["silver", "fct_inventory_transactions"])]
    assert len(fct) == 2
    assert "dagster/row_count" not in fct[0] and "dagster/column_schema" not in fct[0]
    assert fct[1]["dagster/row_count"].value == history["fct_rows"]
    assert "dagster/column_schema" in fct[1] and "ledger_chunk" in fct[0] and "ledger_chunk" in fct[1]
    # Every chunk still records its done mark; a table outside the chain, built once, keeps its metadata.
    assert len([e for e in events if e.asset_key == DONE_KEY]) == 2
    dim, = [e.event_specific_data.materialization.metadata for e in events
            if e.asset_key == dg.AssetKey(["silver", "dim_product"])]
    assert dim["dagster/row_count"].value > 0 and "dagster/column_schema" in dim
