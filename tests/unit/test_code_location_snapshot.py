"""The whole code location, serialized and compared with a reviewed snapshot (as dagster-open-platform keeps one).

Every asset's key, group, owners, tags, kinds, deps, partitions, freshness, automation and checks, and every
job, schedule, sensor and resource, on both engines. A refactor that changes the graph shows up here and in
review; an intended change is recorded with `UPDATE_SNAPSHOTS=1 pytest tests/unit/test_code_location_snapshot.py`
and the diff of tests/unit/snapshots/ is reviewed with the code.
"""

from __future__ import annotations

import json
import os

import dagster as dg
import pytest

from inventory_platform.definitions import build_defs
from inventory_platform.settings import REPO_ROOT, load_settings

SNAPSHOTS = REPO_ROOT / "tests" / "unit" / "snapshots"
# Metadata whose values depend on the machine or the manifest build, not on the graph.
VOLATILE_METADATA = ("dagster/code_references", "dagster_dbt/", "dagster/column_schema")
KEPT_METADATA = ("runbook", "dagster/table_name")


def _freshness(policy) -> str | None:
    if policy is None:
        return None
    fail, warn = getattr(policy, "fail_window", None), getattr(policy, "warn_window", None)
    return f"time_window(fail={fail.to_timedelta() if fail else None}, warn={warn.to_timedelta() if warn else None})"


def _stable(key: str, value: str) -> str:
    """dbt names a table database.schema.table, the database being the DuckDB file the manifest was parsed with."""
    return ".".join(value.split(".")[-2:]) if key == "dagster/table_name" else value


def serialize(defs: dg.Definitions) -> dict:
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    checks: dict[str, dict] = {}
    for key in graph.asset_check_keys:
        node = graph.get(key)
        checks.setdefault(key.asset_key.to_user_string(), {})[key.name] = {
            "blocking": node.blocking, "description": node.description}
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        spec = repo.assets_defs_by_key[key].specs_by_key[key] if key in repo.assets_defs_by_key else None
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "owners": list(node.owners),
            "tags": dict(sorted(node.tags.items())),
            "kinds": sorted(node.kinds),
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "executable": node.is_executable,
            "partitions": repr(node.partitions_def) if node.partitions_def else None,
            "freshness": _freshness(spec.freshness_policy if spec else None),
            "automation": (str(node.automation_condition.get_label() or node.automation_condition)
                           if node.automation_condition else None),
            "checks": dict(sorted(checks.get(key.to_user_string(), {}).items())),
            "metadata_keys": sorted(k for k in node.metadata if not k.startswith(VOLATILE_METADATA)),
            "metadata": {k: _stable(k, str(getattr(v, "value", v))) for k, v in sorted(node.metadata.items())
                         if k.startswith(KEPT_METADATA)},
            "description": node.description,
        }
    jobs = {}
    for job in sorted(repo.get_all_jobs(), key=lambda j: j.name):
        if job.name.startswith("__"):
            continue
        layer = job.asset_layer
        jobs[job.name] = {
            "assets": sorted(k.to_user_string() for k in layer.selected_asset_keys),
            "checks": sorted(f"{c.asset_key.to_user_string()}:{c.name}" for c in layer.asset_graph.asset_check_keys),
            "partitioned": job.partitions_def is not None,
            "tags": dict(sorted(job.tags.items())),
        }
    return {
        "assets": assets,
        "jobs": jobs,
        "schedules": {s.name: {"job": s.job_name, "cron": s.cron_schedule, "tz": s.execution_timezone,
                               "default_status": s.default_status.value}
                      for s in sorted(repo.schedule_defs, key=lambda s: s.name)},
        "sensors": {s.name: {"jobs": sorted(t.job_name for t in s.targets), "interval_s": s.minimum_interval_seconds,
                             "default_status": s.default_status.value}
                    for s in sorted(repo.sensor_defs, key=lambda s: s.name)},
        "resources": sorted(defs.resources or {}),
        "executor": getattr(defs.executor, "name", None),
    }


@pytest.mark.parametrize("engine", ["local", "prod"])
def test_code_location_matches_its_snapshot(engine, monkeypatch, tmp_path):
    monkeypatch.setenv("INVENTORY_ENV", engine)
    monkeypatch.setenv("INVENTORY_HISTORY_START", "2022-01-01")  # fixed partitions, not derived from landed files
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTORY_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    for var in ("INVENTORY_CODE_URL", "REDSHIFT_HOST", "REDSHIFT_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    actual = json.loads(json.dumps(serialize(build_defs(load_settings())), default=str))
    path = SNAPSHOTS / f"code_location_{engine}.json"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(actual, indent=1) + "\n")
    assert path.exists(), f"no snapshot yet: run with UPDATE_SNAPSHOTS=1 and commit {path}"
    expected = json.loads(path.read_text())
    # The keys alone first: the diff a reviewer reads most easily.
    assert sorted(expected["assets"]) == sorted(actual["assets"])
    for section in expected:
        assert expected[section] == actual[section], (
            f"the code location's {section} changed: if intended, rerun with UPDATE_SNAPSHOTS=1 and review the diff of {path}")
