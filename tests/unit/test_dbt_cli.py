"""The project's dbt CLI resource: no `dbt --version` subprocess, no in-process adapter, and each
invocation's partial parse kept for the next one."""

import importlib.metadata
import subprocess
from types import SimpleNamespace

from dagster_dbt import DbtCliResource

from inventory_platform.settings import DBT_PROJECT_DIR
from inventory_platform.transform import dbt_cli
from inventory_platform.transform.dbt_cli import InventoryDbtCli, dbt_executable, keep_partial_parse


def test_overrides_still_name_dagster_dbt_internals():
    # An upgrade that renames them would silently bring the start-up costs back.
    assert isinstance(DbtCliResource.__dict__["_cli_version"], type(InventoryDbtCli.__dict__["_cli_version"]))
    assert callable(DbtCliResource.__dict__["_initialize_dbt_core_adapter"])


def test_version_comes_from_the_installed_package_without_a_subprocess(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"subprocess started: {args}")

    monkeypatch.setattr(subprocess, "check_output", refuse)
    resource = InventoryDbtCli(project_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable())
    assert str(resource._cli_version) == importlib.metadata.version("dbt-core")
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_partial_parse_is_carried_to_the_project_target(monkeypatch, tmp_path):
    project = tmp_path / "project"
    (project / "target").mkdir(parents=True)
    (project / "target" / "partial_parse.msgpack").write_bytes(b"old")
    run_target = tmp_path / "run-target"
    run_target.mkdir()
    monkeypatch.setattr(dbt_cli, "DBT_PROJECT_DIR", project)

    keep_partial_parse(SimpleNamespace(target_path=run_target))  # dbt wrote none (it failed early)
    assert (project / "target" / "partial_parse.msgpack").read_bytes() == b"old"

    (run_target / "partial_parse.msgpack").write_bytes(b"new")
    keep_partial_parse(SimpleNamespace(target_path=run_target))
    assert (project / "target" / "partial_parse.msgpack").read_bytes() == b"new"
    assert sorted(p.name for p in (project / "target").iterdir()) == ["partial_parse.msgpack"]
