"""dbt's DuckDB connection gets the memory limit the platform's own connections get: DuckDB's default
(80% of RAM) unless INVENTORY_DUCKDB_MEMORY_LIMIT sets one. `SET memory_limit='-1'` means no limit at all;
a `medium` first build ran that way and was OOM-killed at 23.6 GB."""

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from inventory_platform.lib.duckdb_warehouse import duckdb_config
from inventory_platform.settings import DBT_PROJECT_DIR
from inventory_platform.transform.dbt_cli import dbt_executable


def dbt_memory_limit(work: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(
        [dbt_executable(), "show", "--inline", "select current_setting('memory_limit') as memory_limit",
         "--output", "json", "--quiet", "--target", "local", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        env={**env, "INVENTORY_DUCKDB_PATH": str(work / "warehouse.duckdb")}, cwd=DBT_PROJECT_DIR,
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return json.loads(proc.stdout[proc.stdout.index("{"):])["show"][0]["memory_limit"]


def platform_memory_limit(work: Path) -> str:
    with duckdb.connect(str(work / "platform.duckdb"), config=duckdb_config()) as con:
        return con.execute("select current_setting('memory_limit')").fetchone()[0]


@pytest.fixture
def env_without_limit(monkeypatch):
    monkeypatch.delenv("INVENTORY_DUCKDB_MEMORY_LIMIT", raising=False)
    return {k: v for k, v in os.environ.items() if k != "INVENTORY_DUCKDB_MEMORY_LIMIT"}


def test_dbt_and_the_platform_default_to_duckdbs_own_limit(tmp_path, env_without_limit):
    default = duckdb.connect().execute("select current_setting('memory_limit')").fetchone()[0]
    assert "PiB" not in default  # DuckDB's default is a share of this machine's RAM, not unlimited
    assert dbt_memory_limit(tmp_path, env_without_limit) == default
    assert platform_memory_limit(tmp_path) == default


def test_the_variable_caps_dbt_and_the_platform(tmp_path, env_without_limit, monkeypatch):
    monkeypatch.setenv("INVENTORY_DUCKDB_MEMORY_LIMIT", "3GB")
    assert dbt_memory_limit(tmp_path, {**env_without_limit, "INVENTORY_DUCKDB_MEMORY_LIMIT": "3GB"}) == "2.7 GiB"
    assert platform_memory_limit(tmp_path) == "2.7 GiB"
