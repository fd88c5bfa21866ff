"""How long loading the code location takes: what every run worker, sensor tick and `make dev` reload pays
before it does anything. Each sample is a fresh interpreter that imports `inventory_platform.definitions` and
resolves its repository and jobs, as Dagster's code server does before serving them."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

from inventory_platform.settings import REPO_ROOT

_LOAD = """
import json, time
started = time.perf_counter()
import inventory_platform.definitions as code_location
repository = code_location.defs.get_repository_def()
jobs = repository.get_all_jobs()
print(json.dumps({"load_s": time.perf_counter() - started, "assets": len(repository.asset_graph.get_all_asset_keys()),
                  "jobs": len(jobs)}))
"""


def measure_code_location_load(runs: int) -> dict:
    """Median load over `runs` fresh processes; the process's wall (interpreter start included) beside it."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _LOAD], capture_output=True, text=True, cwd=REPO_ROOT,
                              timeout=300, check=False)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"loading the code location failed:\n{done.stderr[-4000:]}")
        samples.append({**json.loads(done.stdout.strip().splitlines()[-1]), "process_s": wall})
    loads = [s["load_s"] for s in samples]
    return {"runs": runs, "median_s": round(statistics.median(loads), 3), "min_s": round(min(loads), 3),
            "max_s": round(max(loads), 3),
            "median_process_s": round(statistics.median(s["process_s"] for s in samples), 3),
            "assets": samples[0]["assets"], "jobs": samples[0]["jobs"]}
