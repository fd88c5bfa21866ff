"""Run dbt as a subprocess against a chosen target, with its own target and log paths."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from inventory_platform.settings import DBT_PROJECT_DIR
from inventory_platform.transform.dbt_assets import dbt_executable


def run_dbt(command: list[str], target: str, work: Path, env: dict[str, str], expect_success: bool = True) -> list[dict]:
    """Run dbt and return run_results; with expect_success, a non-zero exit fails with dbt's output."""
    target_path = work / f"target-{target}"
    proc = subprocess.run(
        [dbt_executable(), *command, "--target", target, "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target_path), "--log-path", str(work / "logs")],
        env={**os.environ, **env}, cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=900)
    if expect_success:
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    return results


def failing_tests(results: list[dict]) -> set[str]:
    """Names of the data tests that failed (unique_id without the test. prefix and hash suffix)."""
    return {r["unique_id"].split(".")[2] for r in results if r["unique_id"].startswith("test.") and r["status"] == "fail"}
