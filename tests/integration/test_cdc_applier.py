"""The CDC applier (`inventory-platform stream apply`), on streamed Bronze rows from the real local pipeline:
it merges them into Silver and Gold exactly as the batch path builds them, records each refresh as runless
materializations and check evaluations of every asset and check of cdc_microbatch, a failed one as a failed
run of the job, releases the warehouse between refreshes, and a refresh killed with SIGKILL half-way is
redone whole by the next applier."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import duckdb
import pytest

from inventory_platform.cdc.applier import (
    APPLIER_TAG,
    BRONZE_ROWS_TAG,
    NEWEST_LOAD_TAG,
    REFRESHED_AT,
    CdcApplier,
    applier_running,
    pid_file,
)
from inventory_platform.cdc.bronze_table import bronze_totals
from inventory_platform.cdc.local_pipeline import poll_until_idle
from inventory_platform.cdc.sensors import build_cdc_bronze_sensor
from inventory_platform.settings import DBT_PROJECT_DIR, REPO_ROOT, load_settings
from streaming.local.local_endpoint import LocalEndpoint
from streaming.local.producer import produce

from ..support.cdc import build_tiny_silver, new_lab, write_bronze_events
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


def runless_checks(instance: dg.DagsterInstance) -> list:
    records = instance.get_event_records(dg.EventRecordsFilter(dg.DagsterEventType.ASSET_CHECK_EVALUATION))
    return [r.event_log_entry.dagster_event.event_specific_data for r in records if not r.run_id]


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
            runs = instance.get_run_records(dg.RunsFilter(tags={APPLIER_TAG: str(os.getpid())}))
            materialized = {key: instance.fetch_materializations(key, limit=5).records
                            for key in applier.job.asset_layer.executable_asset_keys}
            checks = runless_checks(instance)
            job_checks = applier.job.asset_layer.asset_graph.asset_check_keys
        yield SimpleNamespace(ws=ws, settings=settings, refreshes=refreshes, again=again, runs=runs,
                              materialized=materialized, checks=checks, job_checks=job_checks,
                              pid_file_left=pid_file(settings).exists())
    finally:
        env.undo()


def test_one_refresh_merges_bronze_and_records_every_asset_and_check_without_a_run(applied):
    [refresh] = applied.refreshes
    assert refresh.success and not refresh.in_run, refresh.error
    assert applied.again == []  # nothing new in Bronze: no second refresh
    rows, newest = bronze_totals(applied.ws.db)
    assert (refresh.bronze_rows, refresh.newest_load) == (rows, newest) and rows >= 1_500
    assert applied.runs == []
    # every asset of the job materialized once, as a runless event stamped with the Bronze it covers
    assert len(applied.materialized) > 15
    for key, records in applied.materialized.items():
        [record] = records
        metadata = record.asset_materialization.metadata
        assert not record.run_id and metadata[BRONZE_ROWS_TAG].value == rows, key
        assert metadata[NEWEST_LOAD_TAG].value == newest and metadata[REFRESHED_AT].value > 0, key
    # every check of the job evaluated, and passed
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
        # killed mid-refresh: nothing recorded as done
        assert instance.fetch_materializations(dg.AssetKey(["silver", "cdc_inventory_transactions"]), limit=1).records == []

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


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")


def _stock_change(op: str, lsn: int, warehouse: str, sku: str) -> dict:
    image = {"warehouse_id": warehouse, "sku_id": sku, "quantity_on_hand": 3, "unit_of_measure": "EA",
             "currency_code": "USD", "updated_at": "2026-01-01T00:00:00Z"}
    return {"event_id": f"stock-{lsn}", "op": op, "source": {"table": "stock_levels", "lsn": lsn, "ts_ms": 1767225600000},
            "before" if op == "d" else "after": image}


def test_a_failed_refresh_is_recorded_as_a_failed_run_until_one_succeeds(bronze, monkeypatch):
    """A change for a warehouse nobody knows fails the check on cdc_rejects: the refresh is done again as a run,
    which fails with the check named (the run-failure alert's path) after merging every other change into
    Silver and Gold, and the applier stays on runs. Once the
    source deletes the row, the next refresh, by an applier started afresh, is still a run (the job's last run
    failed, its alert is open) and succeeds, which resolves the alert; then refreshes are runless again."""
    ws = workspace(bronze, "failing")
    for var in [v for v in os.environ if v.startswith("INVENTORY_")]:
        monkeypatch.delenv(var)
    for var, value in ws.env.items():
        monkeypatch.setenv(var, value)
    sku = duckdb.connect(str(ws.db), read_only=True).execute(
        "select min(sku_id) from silver.dim_product").fetchone()[0]
    lsn = 10**12
    write_bronze_events(ws.db, [(_stock_change("c", lsn, "WH-NOBODY-KNOWS", sku), "2026-01-01 00:00:00")],
                        _now(), "unknown-warehouse", first_sequence=10**9)
    with dg.DagsterInstance.get() as instance:
        applier = CdcApplier(load_settings(), instance, log=lambda _: None)
        [failed] = applier.run(lambda: False, until_idle=True)
        assert not failed.success and failed.in_run and applier.in_runs
        run = instance.get_run_by_id(failed.run_id)
        assert run.status == dg.DagsterRunStatus.FAILURE and run.job_name == "cdc_microbatch"
        assert "no_rejected_cdc_changes" in failed.error
        # the rejected change holds back neither the ledger nor Gold: the other changes reach them
        materialized = {r.event_log_entry.dagster_event.asset_key.to_user_string() for r in instance.get_records_for_run(
            failed.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records}
        assert {"silver/fct_inventory_transactions", "silver/stock_levels_current",
                "gold/gold_inventory_value_monthly"} <= materialized, materialized

        write_bronze_events(ws.db, [(_stock_change("d", lsn + 1, "WH-NOBODY-KNOWS", sku), "2026-01-01 00:00:01")],
                            _now(), "source-deleted-it", first_sequence=10**9 + 1)
        restarted = CdcApplier(load_settings(), instance, log=lambda _: None)
        [fixed] = restarted.run(lambda: False, until_idle=True)
        assert fixed.success and fixed.in_run and not restarted.in_runs
        assert instance.get_run_by_id(fixed.run_id).status == dg.DagsterRunStatus.SUCCESS
