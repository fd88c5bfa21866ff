"""The real dagster-daemon starts both ops sensors by itself (default RUNNING), resolves the warehouse
resource, stores the disk check's result, and the alert sensor turns that result into one alert."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from inventory_platform.monitoring.runbooks import DISK_SPACE
from inventory_platform.monitoring.storage_asset import DISK_CHECK, STORAGE_ASSET
from inventory_platform.settings import REPO_ROOT

pytestmark = pytest.mark.e2e


def test_daemon_runs_the_disk_sensor_and_the_alert_sensor_notifies_once(tmp_path: Path, monkeypatch):
    home, data = tmp_path / "dagster_home", tmp_path / "data"
    home.mkdir()
    data.mkdir()
    shutil.copy(REPO_ROOT / ".dagster_home" / "dagster.yaml", home / "dagster.yaml")
    db = data / "wh.duckdb"
    duckdb.connect(str(db)).close()
    env = {**os.environ, "DAGSTER_HOME": str(home), "INVENTORY_DATA_DIR": str(data), "INVENTORY_DUCKDB_PATH": str(db),
           "INVENTORY_ENV": "local", "DAGSTER_DISABLE_TELEMETRY": "1",
           # any real disk is more than 0.02% full: the check must fail
           "INVENTORY_DISK_WARN_PCT": "0.01", "INVENTORY_DISK_FAIL_PCT": "0.02",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for var in ("INVENTORY_ALERT_SLACK_WEBHOOK", "INVENTORY_ALERT_SMTP_HOST"):
        env.pop(var, None)
    alerts = data / "alerts" / "alerts.jsonl"
    log_path = tmp_path / "daemon.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
                                cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 240  # first disk tick at start, the alert sensor's next within 60 s
            while not (alerts.exists() and alerts.read_text().strip()):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"no alert from the daemon; log:\n{log_path.read_text()[-4000:]}")
                time.sleep(2)
            time.sleep(5)  # let a possible duplicate arrive before counting
        finally:
            # read before stopping: once interrupted, the daemon and its code servers may print tracebacks,
            # sometimes ahead of its "Received interrupt" line
            running = log_path.read_text()
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    [alert] = [json.loads(line) for line in alerts.read_text().splitlines()]
    assert (alert["target"], alert["level"], alert["runbook"]) == (f"ops/warehouse_storage:{DISK_CHECK}", "FAIL", DISK_SPACE)
    assert str(db) in alert["summary"]
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        key = dg.AssetCheckKey(STORAGE_ASSET, DISK_CHECK)
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
        assert record.event.asset_check_evaluation.passed is False
        observation = instance.fetch_observations(STORAGE_ASSET, limit=1).records[0].asset_observation
        assert observation.metadata["path"].value == str(db)
    assert "Traceback" not in running and "warehouse_disk_sensor - ops/warehouse_storage" in running
