"""`make dev` works: `dagster dev` loads the code location from workspace.yaml and serves every asset."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from inventory_platform.settings import REPO_ROOT

pytestmark = pytest.mark.e2e
QUERY = "{ assetNodes { assetKey { path } groupName owners { ... on TeamAssetOwner { team } } kinds description } }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def dagster_dev(tmp_path: Path):
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home"),
           "INVENTORY_DATA_DIR": str(tmp_path / "data"), "DAGSTER_DISABLE_TELEMETRY": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("INVENTORY_DUCKDB_PATH", None)
    (tmp_path / "dagster_home").mkdir()
    log = (tmp_path / "dagster_dev.log").open("w")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                nodes = graphql(port, QUERY)["data"]["assetNodes"]
                if nodes:
                    break
            except (OSError, KeyError, TypeError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dagster dev did not serve assets; log:\n{(tmp_path / 'dagster_dev.log').read_text()[-3000:]}")
            time.sleep(1)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_ui_lists_every_asset_in_its_layer_group_with_owners_and_kinds(dagster_dev):
    nodes = graphql(dagster_dev, QUERY)["data"]["assetNodes"]
    by_group: dict[str, set[str]] = {}
    for node in nodes:
        layer, name = node["assetKey"]["path"]
        assert node["groupName"] == layer
        assert node["owners"] and node["kinds"] and node["description"], name
        by_group.setdefault(layer, set()).add(name)
    assert set(by_group) == {"bronze", "silver", "gold", "ops"}
    assert by_group["ops"] == {"warehouse_storage"}
    assert {"inventory_transactions", "products"} <= by_group["bronze"]
    assert "fct_inventory_snapshot_month_end" in by_group["silver"]
    assert {"gold_inventory_value_monthly", "gold_inventory_value_trend"} <= by_group["gold"]
