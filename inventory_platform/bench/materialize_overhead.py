"""A one-asset materialize as an analyst starts it from the UI, under `dagster dev` (the webserver and the
daemon `make dev` runs), on a copy of a built bench history: launched through the webserver's GraphQL API
(what the Materialize button sends), its time taken from the launch to the run's end as the UI reports
it, minus the asset's own SQL time (dbt's execution time of the model, which dagster-dbt records on the
materialization). What remains is the overhead: queueing, the run process, the code-location load, dbt's
start-up and Dagster's event bookkeeping.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from inventory_platform.bench.bench_data import History, platform_env
from inventory_platform.dagster_adapter import CODE_LOCATION
from inventory_platform.dashboard.server import dagster_dev_command
from inventory_platform.settings import REPO_ROOT

ASSET = ("gold", "gold_inventory_value_by_region")
ASSET_JOB = "__ASSET_JOB"  # the job Dagster runs for assets materialized from the catalog
REPOSITORY = "__repository__"
LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchPipelineExecution(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
  }
}"""
RUN = "query Run($runId: ID!) { runOrError(runId: $runId) { ... on Run { status startTime endTime } } }"
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    """One request to the Dagster webserver's GraphQL endpoint on 127.0.0.1; GraphQL errors raise."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    if body.get("errors"):
        raise AssertionError(f"GraphQL errors: {body['errors']}")
    return body["data"]


def measure_materialize_overhead(history: History, runs: int = 3) -> dict:
    with tempfile.TemporaryDirectory(prefix="materialize-", dir=history.root.parent) as tmp:
        root = Path(tmp)
        db = root / "warehouse.duckdb"
        shutil.copyfile(history.duckdb_path, db)
        env = platform_env(root, history.landing, db)
        Path(env["DAGSTER_HOME"]).mkdir(parents=True)
        shutil.copy(REPO_ROOT / ".dagster_home" / "dagster.yaml", env["DAGSTER_HOME"])  # `make dev`'s instance
        port = free_port()
        log = (root / "dagster_dev.log").open("w")
        server = subprocess.Popen(dagster_dev_command(port), cwd=REPO_ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_until_serving(port, server)
            samples = [_one_materialize(port, Path(env["DAGSTER_HOME"])) for _ in range(runs)]
        finally:
            os.killpg(server.pid, signal.SIGINT)  # dagster dev stops its webserver and daemon on SIGINT
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
            log.close()
    overheads = [s["click_to_done_s"] - s["sql_s"] for s in samples]
    return {"asset": "/".join(ASSET), "runs": runs, "median_overhead_s": round(statistics.median(overheads), 2),
            "min_overhead_s": round(min(overheads), 2), "max_overhead_s": round(max(overheads), 2),
            "median_click_to_done_s": round(statistics.median(s["click_to_done_s"] for s in samples), 2),
            "median_sql_s": round(statistics.median(s["sql_s"] for s in samples), 2),
            "median_run_process_s": round(statistics.median(s["run_s"] for s in samples), 2), "samples": samples}


def _wait_until_serving(port: int, server: subprocess.Popen, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if graphql(port, "{ assetNodes { id } }")["assetNodes"]:
                return
        except (OSError, KeyError, TypeError, AssertionError):
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("dagster dev did not come up for the materialize_overhead bench")
        time.sleep(1)


def _one_materialize(port: int, dagster_home: Path) -> dict:
    params = {"selector": {"repositoryLocationName": CODE_LOCATION, "repositoryName": REPOSITORY,
                           "pipelineName": ASSET_JOB, "assetSelection": [{"path": list(ASSET)}],
                           "assetCheckSelection": []},
              "mode": "default", "executionMetadata": {"tags": []}}
    clicked = time.time()
    launched = graphql(port, LAUNCH, {"params": params})["launchPipelineExecution"]
    if launched["__typename"] != "LaunchRunSuccess":
        raise RuntimeError(f"the materialize was not launched: {launched}")
    run_id = launched["run"]["runId"]
    while (run := graphql(port, RUN, {"runId": run_id})["runOrError"])["status"] not in TERMINAL:
        time.sleep(0.1)
    done = time.time()
    if run["status"] != "SUCCESS":
        raise RuntimeError(f"the materialize of {'/'.join(ASSET)} ended {run['status']} (run {run_id})")
    return {"run_id": run_id, "click_to_done_s": round(done - clicked, 2),
            "run_s": round(run["endTime"] - run["startTime"], 2), "sql_s": round(_sql_seconds(dagster_home, run_id), 2)}


def _sql_seconds(dagster_home: Path, run_id: str) -> float:
    """dbt's execution time of the model in the run (dagster-dbt's `Execution Duration` metadata)."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        [event] = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        return float(event.asset_materialization.metadata["Execution Duration"].value)
