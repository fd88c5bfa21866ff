"""A one-asset materialize as an analyst starts it from the UI, under `dagster dev` (the webserver and the
daemon `make dev` runs), on a copy of a built bench history: launched through the webserver's GraphQL API
(what the Materialize button sends), its time taken from the launch to the run's end as the UI reports
it, minus the asset's own SQL time (dbt's execution time of the model, which dagster-dbt records on the
materialization). What remains is the overhead: queueing, the run process, the code-location load, dbt's
start-up and Dagster's event bookkeeping.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from inventory_platform.bench.bench_data import History, platform_env
from inventory_platform.bench.dagster_dev_server import dagster_dev, graphql
from inventory_platform.dagster_adapter import CODE_LOCATION
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


def measure_materialize_overhead(history: History, runs: int = 3) -> dict:
    with tempfile.TemporaryDirectory(prefix="materialize-", dir=history.root.parent) as tmp:
        root = Path(tmp)
        db = root / "warehouse.duckdb"
        shutil.copyfile(history.duckdb_path, db)
        env = platform_env(root, history.landing, db)
        Path(env["DAGSTER_HOME"]).mkdir(parents=True)
        shutil.copy(REPO_ROOT / ".dagster_home" / "dagster.yaml", env["DAGSTER_HOME"])  # `make dev`'s instance
        with dagster_dev(env, root / "dagster_dev.log") as port:
            samples = [_one_materialize(port, Path(env["DAGSTER_HOME"])) for _ in range(runs)]
    overheads = [s["click_to_done_s"] - s["sql_s"] for s in samples]
    return {"asset": "/".join(ASSET), "runs": runs, "median_overhead_s": round(statistics.median(overheads), 2),
            "min_overhead_s": round(min(overheads), 2), "max_overhead_s": round(max(overheads), 2),
            "median_click_to_done_s": round(statistics.median(s["click_to_done_s"] for s in samples), 2),
            "median_sql_s": round(statistics.median(s["sql_s"] for s in samples), 2),
            "median_run_process_s": round(statistics.median(s["run_s"] for s in samples), 2), "samples": samples}


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
