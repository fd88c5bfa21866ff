"""The CDC applier (`inventory-platform stream apply`), on streamed Bronze rows from the real local pipeline:
it merges them into Silver and Gold exactly as the batch path builds them, records each refresh as a run of
cdc_microbatch with every check, releases the warehouse between refreshes, and a refresh killed with SIGKILL
half-way is redone whole by the next applier."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import duckdb
import pytest

from inventory_platform.cdc.applier import APPLIER_TAG, NEWEST_LOAD_TAG, CdcApplier, applier_running, pid_file
from inventory_platform.cdc.bronze_table import bronze_totals
from inventory_platform.cdc.local_pipeline import poll_until_idle
from inventory_platform.cdc.sensors import build_cdc_bronze_sensor
from inventory_platform.settings import DBT_PROJECT_DIR, REPO_ROOT, load_settings
from streaming.local.local_endpoint import LocalEndpoint
from streaming.local.producer import produce

from ..support.cdc import build_tiny_silver, new_lab
from ..support.dbt_runner import run_dbt
from ..support.fixed_history import FIXED_HISTORY_FRESHNESS_ENV

CLI = [sys.executable, "-m", "inventory_platform.cli", "stream", "apply"]


@pytest.fixture(scope="module")
def bronze(tmp_path_factory):
    """A tiny warehouse with Silver built and 1,500 streamed changes (late and out-of-order ones among them)
    loaded into Bronze but not merged: the starting point of every test here (each works on a copy)."""
    root = tmp_path_factory.mktemp("cdc_applier")
    endpoint = LocalEndpoint(root / "endpoint")
    try:
        lab = new_lab(root / "lab", endpoint, build_tiny_silver(root / "silver"), prefix="applier")
        produce(lab.kinesis, lab.names.raw, lab.source(seed=31, out_of_order_rate=0.2, late_rate=0.05), 1_500)
        poll_until_idle(lab.pipeline())
    finally:
        endpoint.down()
    return SimpleNamespace(root=root, db=lab.db)


def workspace(bronze, name: str) -> SimpleNamespace:
    root = bronze.root / name
    (root / "dagster_home").mkdir(parents=True)
    shutil.copy(REPO_ROOT / ".dagster_home" / "dagster.yaml", root / "dagster_home")  # pool limits, as `make dev`
    shutil.copy(bronze.db, root / "warehouse.duckdb")
    env = {"INVENTORY_ENV": "local", "INVENTORY_DATA_DIR": str(root), "INVENTORY_DUCKDB_PATH": str(root / "warehouse.duckdb"),
           "DAGSTER_HOME": str(root / "dagster_home"), "DAGSTER_DISABLE_TELEMETRY": "1", "PYTHONUNBUFFERED": "1",
           **FIXED_HISTORY_FRESHNESS_ENV}
    return SimpleNamespace(root=root, db=root / "warehouse.duckdb", env=env)


# Which build wrote a row and the Bronze load it had seen (lineage, docs/late_arriving.md): the only columns
# that differ between two builds of the same data.
BUILD_LINEAGE = {"build_id", "bronze_loaded_through"}


def silver_and_gold(db: Path) -> dict[str, tuple]:
    """(rows, checksum of every column but the build's lineage) of each Silver and Gold table, but the ledger
    pass's working tables (int_*: the days a build restated, which differ by design between a micro-batch and
    a rebuild of everything)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns: dict[str, list[str]] = {}
        for schema, table, column in con.execute(
                "select schema_name, table_name, column_name from duckdb_columns() where database_name = current_database() "
                "and schema_name in ('silver', 'gold') order by schema_name, table_name, column_index").fetchall():
            if column not in BUILD_LINEAGE and not table.startswith("int_"):
                columns.setdefault(f'"{schema}"."{table}"', []).append(f'"{column}"')
        return {table: con.execute(f"select count(*), coalesce(sum(hash({', '.join(cols)})), 0) from {table}").fetchone()
                for table, cols in columns.items()}
    finally:
        con.close()


@pytest.fixture(scope="module")
def applied(bronze):
    """The applier run in this process until Silver and Gold cover Bronze."""
    ws = workspace(bronze, "applied")
    env = pytest.MonkeyPatch()
    for var in [v for v in os.environ if v.startswith("INVENTORY_")]:
        env.delenv(var)
    for var, value in ws.env.items():
        env.setenv(var, value)
    try:
        settings = load_settings()
        with dg.DagsterInstance.get() as instance:
            applier = CdcApplier(settings, instance, log=lambda _: None)
            refreshes = applier.run(lambda: False, until_idle=True)
            again = applier.run(lambda: False, until_idle=True)
            records = instance.get_run_records(dg.RunsFilter(tags={APPLIER_TAG: str(os.getpid())}))
            checks = [e.asset_check_evaluation for r in records for e in instance.all_logs(
                r.dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]
            job_checks = applier.job.asset_layer.asset_graph.asset_check_keys
        yield SimpleNamespace(ws=ws, settings=settings, refreshes=refreshes, again=again, records=records,
                              checks=checks, job_checks=job_checks, pid_file_left=pid_file(settings).exists())
    finally:
        env.undo()


def test_one_refresh_merges_bronze_with_every_check_and_records_it_as_a_run(applied):
    [refresh] = applied.refreshes
    assert refresh.success, refresh.error
    assert applied.again == []  # nothing new in Bronze: no second refresh
    rows, newest = bronze_totals(applied.ws.db)
    assert (refresh.bronze_rows, refresh.newest_load) == (rows, newest) and rows >= 1_500
    [record] = applied.records
    assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
    assert record.dagster_run.job_name == "cdc_microbatch" and record.dagster_run.tags[NEWEST_LOAD_TAG] == newest
    # every check of the job evaluated, and passed, in the run
    assert {(c.asset_key, c.check_name) for c in applied.checks} == {(k.asset_key, k.name) for k in applied.job_checks}
    assert len(applied.job_checks) > 40 and all(c.passed for c in applied.checks)
    assert not applied.pid_file_left


def test_the_warehouse_is_released_between_refreshes(applied):
    """dbt-duckdb keeps its connection open in a long-lived process; another process must be able to read."""
    proc = subprocess.run([sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
                           "print(c.execute('select count(*) from silver.cdc_inventory_transactions').fetchone()[0])",
                           str(applied.ws.db)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and int(proc.stdout) > 0, proc.stderr


def test_streamed_silver_and_gold_equal_the_batch_paths_full_rebuild(applied, bronze):
    batch = workspace(bronze, "batch")
    run_dbt(["build", "--full-refresh"], "local", batch.root, batch.env)
    streamed, rebuilt = silver_and_gold(applied.ws.db), silver_and_gold(batch.db)
    assert streamed.keys() == rebuilt.keys() and len(streamed) > 15
    assert {t: fp for t, fp in streamed.items() if rebuilt[t] != fp} == {}


def test_a_refresh_killed_half_way_is_redone_whole_by_the_next_applier(applied, bronze):
    ws = workspace(bronze, "killed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")} | ws.env
    log = ws.root / "apply.log"
    with log.open("w") as out:
        proc = subprocess.Popen(CLI, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        # dbt writes each node's SQL into its invocation's folder as the node runs: kill with 5 of 69 done
        while _nodes_run(proc.pid) < 5:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.02)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    with dg.DagsterInstance.from_config(str(ws.root / "dagster_home")) as instance:
        [killed] = instance.get_run_records(dg.RunsFilter(tags={APPLIER_TAG: str(proc.pid)}))
        assert killed.dagster_run.status == dg.DagsterRunStatus.STARTED  # killed mid-run, never finished

    again = subprocess.run([*CLI, "--until-idle"], env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "1 refreshes, 0 failed" in again.stdout
    assert silver_and_gold(ws.db) == silver_and_gold(applied.ws.db)


def _nodes_run(pid: int) -> int:
    folders = (DBT_PROJECT_DIR / "target").glob(f"in-process-{pid}-*")
    return max((sum(1 for _ in (folder / "run").rglob("*.sql")) for folder in folders), default=0)


def test_the_sensor_records_bronze_but_starts_no_microbatch_while_an_applier_runs(bronze, monkeypatch):
    ws = workspace(bronze, "sensor")
    for var, value in ws.env.items():
        monkeypatch.setenv(var, value)
    settings = load_settings()
    sensor = build_cdc_bronze_sensor(settings)
    instance = dg.DagsterInstance.ephemeral()
    pid_file(settings).parent.mkdir(parents=True, exist_ok=True)
    pid_file(settings).write_text(f"{os.getpid()}\n")
    assert applier_running(settings)
    result = sensor(dg.build_sensor_context(instance=instance))
    assert [e.asset_key.to_user_string() for e in result.asset_events] == ["bronze/cdc_events"]
    assert result.run_requests == []

    pid_file(settings).write_text("999999999\n")  # an applier that died without removing its file
    assert not applier_running(settings)
    result = sensor(dg.build_sensor_context(instance=instance))
    assert len(result.run_requests) == 1
