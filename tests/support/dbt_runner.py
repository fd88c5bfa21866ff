"""Run dbt as a subprocess against a chosen target, with its own target and log paths."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from inventory_platform.settings import DBT_PROJECT_DIR
from inventory_platform.transform.dbt_cli import dbt_executable


def run_dbt(command: list[str], target: str, work: Path, env: dict[str, str], expect_success: bool = True,
            project_dir: Path = DBT_PROJECT_DIR) -> list[dict]:
    """Run dbt and return run_results; with expect_success, a non-zero exit fails with dbt's output."""
    target_path = work / f"target-{target}"
    proc = subprocess.run(
        [dbt_executable(), *command, "--target", target, "--project-dir", str(project_dir),
         "--profiles-dir", str(project_dir), "--target-path", str(target_path), "--log-path", str(work / "logs")],
        env={**os.environ, **env}, cwd=project_dir, capture_output=True, text=True, timeout=900)
    if expect_success:
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    return results


def failing_tests(results: list[dict]) -> set[str]:
    """Names of the data tests that failed (unique_id without the test. prefix and hash suffix); a test of
    dbt severity warn fails with status warn (it only lets dbt build downstream, docs/valuation.md)."""
    return {r["unique_id"].split(".")[2] for r in results
            if r["unique_id"].startswith("test.") and r["status"] in ("fail", "warn")}


def edited_project_copy(destination: Path, model: str, old: str, new: str) -> Path:
    """A copy of the dbt project in which one model's SQL has `old` replaced by `new`."""
    shutil.copytree(DBT_PROJECT_DIR, destination, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    path = next(destination.glob(f"models/**/{model}.sql"))
    sql = path.read_text()
    assert old in sql, f"{old!r} not in {path}"
    path.write_text(sql.replace(old, new))
    return destination
