"""A run whose process was killed must not hang the runs after it (issue 16, finding 4).

SIGKILL leaves the run STARTED, holding the `duckdb_writer` slot, with its dbt child running. The next
run start reclaims all of it; a wait for a live holder is bounded and names it; SIGTERM stops the wait.
The crash sweep (test_crash_sweep.py) does the same through real killed `inventory-platform materialize`
runs; these tests pin each piece in seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import dagster as dg
import pytest

from inventory_platform.orchestration.run_recovery import (
    OWNER_ENV,
    OWNER_TAG,
    WRITER_POOL,
    WriterUnavailable,
    claim_writer_turn,
    this_process,
)
from tests.support.materialize_process import Materialize, Workspace, pid_alive

# A run's process: records its owner token, starts a long child (as materialize starts dbt), then waits.
OWNER = textwrap.dedent("""
    import os, subprocess, sys, time
    from inventory_platform.orchestration.run_recovery import OWNER_ENV, this_process
    os.environ[OWNER_ENV] = this_process().token
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    print(os.environ[OWNER_ENV], child.pid, flush=True)
    time.sleep(300)
""")


@pytest.fixture
def ws(tmp_path) -> Workspace:
    ws = Workspace(tmp_path, tmp_path / "landing")
    ws.env()  # writes the project's dagster.yaml (pool limit 1) into the tmp DAGSTER_HOME
    return ws


@pytest.fixture
def instance(ws):
    with dg.DagsterInstance.from_config(str(ws.dagster_home)) as instance:
        yield instance


def started_run_holding_the_writer(instance: dg.DagsterInstance, owner_token: str, job: str) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(dg.DagsterRun(job_name=job, run_id=run_id, status=dg.DagsterRunStatus.STARTED,
                                   tags={OWNER_TAG: owner_token}))
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default(WRITER_POOL)
    assert storage.claim_concurrency_slot(WRITER_POOL, run_id, "bronze__inventory_transactions").is_claimed
    return run_id


def test_the_next_run_reclaims_a_killed_runs_slot_status_and_orphaned_child(instance):
    owner = subprocess.Popen([sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True, start_new_session=True)
    token, child = owner.stdout.readline().split()
    child = int(child)
    try:
        run_id = started_run_holding_the_writer(instance, token, "load_inventory_transactions")
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=10)
        assert pid_alive(child), "the orphan should outlive its killed parent"

        notes: list[str] = []
        started = time.monotonic()
        tags = claim_writer_turn(instance, log=notes.append, timeout_s=20)
        assert time.monotonic() - started < 15
        assert tags == {OWNER_TAG: this_process().token}
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.event_log_storage.get_concurrency_info(WRITER_POOL).active_run_ids == set()
        assert not pid_alive(child), "the dead run's child process is still running"
        assert any(run_id in n and "marked FAILURE" in n for n in notes), notes
        failure = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
        assert "is gone" in failure[0].event_log_entry.dagster_event.message
    finally:
        if owner.poll() is None:
            os.killpg(owner.pid, signal.SIGKILL)
        if pid_alive(child):
            os.kill(child, signal.SIGKILL)


def test_a_reused_pid_is_not_taken_for_the_dead_owner(instance):
    me = this_process()
    stale = f"{me.host}:{me.pid}:{int(me.started) - 1}"  # same pid, earlier start: another process, long gone
    run_id = started_run_holding_the_writer(instance, stale, "build_silver_gold")
    claim_writer_turn(instance, log=lambda _: None, timeout_s=5)
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE


def test_a_wait_for_a_live_holder_times_out_naming_it(instance):
    run_id = started_run_holding_the_writer(instance, this_process().token, "build_silver_gold")
    notes: list[str] = []
    with pytest.raises(WriterUnavailable) as caught:
        claim_writer_turn(instance, log=notes.append, timeout_s=1.5, poll_s=0.2)
    message = caught.value.message
    assert run_id in message and "build_silver_gold" in message and f"pid {os.getpid()}" in message
    assert any("Waiting for the duckdb_writer pool" in n and run_id in n for n in notes)
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED  # a live run is left alone


def test_materialize_waiting_on_a_live_holder_gives_up_or_stops_on_sigterm(ws, instance):
    run_id = started_run_holding_the_writer(instance, this_process().token, "build_silver_gold")
    os.environ.pop(OWNER_ENV, None)

    timed = Materialize(ws, "timed-out", extra_env={"INVENTORY_WRITER_WAIT_SECONDS": "2"})
    assert timed.finish(120) == 1
    assert "gave up after 2 s waiting for the duckdb_writer pool" in timed.output()
    assert run_id in timed.output() and f"pid {os.getpid()}" in timed.output()

    stopped = Materialize(ws, "sigterm")
    stopped.wait_for(lambda: "Waiting for the duckdb_writer pool" in stopped.output(), 120, "the wait")
    sent = time.monotonic()
    stopped.proc.send_signal(signal.SIGTERM)
    assert stopped.finish(10) == 128 + signal.SIGTERM
    assert time.monotonic() - sent < 10
    assert "stopped by SIGTERM while waiting for the duckdb_writer pool" in stopped.output()
    assert run_id in stopped.output()


def test_a_daemon_launched_run_is_reclaimed_by_the_sensor_from_its_recorded_pid(instance):
    """Runs the daemon launches carry no owner tag; their executing pid is in an engine event."""
    from dagster._core.events import EngineEventData

    from inventory_platform.orchestration.run_recovery import build_reclaim_dead_runs_sensor

    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    run_id = str(uuid.uuid4())
    run = dg.DagsterRun(job_name="daily_batch_load", run_id=run_id, status=dg.DagsterRunStatus.STARTED)
    instance.add_run(run)
    instance.report_engine_event(f"Executing steps in process (pid: {worker.pid})", run,
                                 EngineEventData.in_process(worker.pid))
    instance.event_log_storage.initialize_concurrency_limit_to_default(WRITER_POOL)
    assert instance.event_log_storage.claim_concurrency_slot(WRITER_POOL, run_id, "dbt_silver_gold").is_claimed

    sensor = build_reclaim_dead_runs_sensor()
    sensor(dg.build_sensor_context(instance=instance))
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED  # alive: left alone

    worker.kill()
    worker.wait(timeout=10)
    result = sensor(dg.build_sensor_context(instance=instance))
    assert "reclaimed 1" in result.skip_message
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
    assert instance.event_log_storage.get_concurrency_info(WRITER_POOL).active_run_ids == set()


def test_runs_recover_clears_a_dead_run_and_status_shows_the_pool_free(ws, instance, monkeypatch):
    from click.testing import CliRunner

    from inventory_platform.cli import main as cli

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=30)
    me = this_process()
    run_id = started_run_holding_the_writer(instance, f"{me.host}:{dead.pid}:1", "build_silver_gold")
    monkeypatch.setenv("DAGSTER_HOME", str(ws.dagster_home))
    monkeypatch.setenv("COLUMNS", "250")  # rich wraps at 80 columns otherwise

    before = CliRunner().invoke(cli, ["runs", "status"])
    assert before.exit_code == 0 and "duckdb_writer: 1 slot(s) held" in before.output and "DEAD" in before.output
    recovered = CliRunner().invoke(cli, ["runs", "recover"])
    assert recovered.exit_code == 0, recovered.output
    assert f"reclaimed run {run_id}" in recovered.output and "marked FAILURE" in recovered.output
    assert "duckdb_writer: 0 slot(s) held" in recovered.output
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
