"""Each dbt invocation's partial parse is kept for the next one (the resource's start-up overrides are pinned
in test_dagster_adapter.py)."""

import pytest

from inventory_platform.settings import load_settings
from inventory_platform.transform import dbt_cli
from inventory_platform.transform.dbt_assets import dbt_resource
from inventory_platform.transform.dbt_cli import keep_partial_parse


def test_partial_parse_is_carried_to_the_project_target(monkeypatch, tmp_path):
    project = tmp_path / "project"
    (project / "target").mkdir(parents=True)
    (project / "target" / "partial_parse.msgpack").write_bytes(b"old")
    run_target = tmp_path / "run-target"
    run_target.mkdir()
    monkeypatch.setattr(dbt_cli, "DBT_PROJECT_DIR", project)

    keep_partial_parse(run_target)  # dbt wrote none (it failed early)
    assert (project / "target" / "partial_parse.msgpack").read_bytes() == b"old"

    (run_target / "partial_parse.msgpack").write_bytes(b"new")
    keep_partial_parse(run_target)
    assert (project / "target" / "partial_parse.msgpack").read_bytes() == b"new"
    assert sorted(p.name for p in (project / "target").iterdir()) == ["partial_parse.msgpack"]


def test_only_the_newest_invocation_folders_are_kept(monkeypatch, tmp_path):
    """dagster-dbt gives every invocation its own target folder and never removes one (1.3 GB of them on a
    development machine after a week): the newest are kept, and none younger than an hour is touched."""
    import os
    import time

    project = tmp_path / "project"
    target = project / "target"
    target.mkdir(parents=True)
    (target / "partial_parse.msgpack").write_bytes(b"parse")
    now = time.time()
    for i in range(6):  # dbt_silver_gold-0 the oldest, two hours apart
        folder = target / f"dbt_silver_gold-{i}"
        (folder / "run").mkdir(parents=True)
        (folder / "manifest.json").write_text("{}")
        os.utime(folder, (now - (6 - i) * 7200, now - (6 - i) * 7200))
    (target / "running-now").mkdir()
    monkeypatch.setattr(dbt_cli, "DBT_PROJECT_DIR", project)

    removed = dbt_cli.prune_invocation_folders(keep=2)
    assert sorted(p.name for p in removed) == [f"dbt_silver_gold-{i}" for i in range(5)]
    assert sorted(p.name for p in target.iterdir()) == ["dbt_silver_gold-5", "partial_parse.msgpack", "running-now"]
    assert dbt_cli.prune_invocation_folders(keep=0) == [target / "dbt_silver_gold-5"]  # "running-now" is too young


def test_in_process_folders_no_invocation_can_use_are_removed_at_once(monkeypatch, tmp_path):
    """dbt in a long-lived process (the CDC applier) makes an invocation folder a refresh, ~280 an hour: a
    finished process's folders go, and of this process's (one invocation at a time) the newest three stay,
    however young. A live process's folders are left to the age rule."""
    import os
    import subprocess
    import sys
    import time

    target = tmp_path / "project" / "target"
    target.mkdir(parents=True)
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    gone, me, alive = int(finished.stdout), os.getpid(), os.getppid()
    now = time.time()
    names = [f"in-process-{me}-parse", *(f"in-process-{me}-{i:012x}" for i in range(5)),
             f"in-process-{gone}-aaaaaaaaaaaa", f"in-process-{alive}-bbbbbbbbbbbb", "3f2a9c1"]
    for age, name in enumerate(reversed(names)):  # the parse folder the oldest
        (target / name / "run").mkdir(parents=True)
        os.utime(target / name, (now - age, now - age))
    monkeypatch.setattr(dbt_cli, "DBT_PROJECT_DIR", tmp_path / "project")

    removed = dbt_cli.prune_invocation_folders()
    assert sorted(p.name for p in removed) == sorted(
        [f"in-process-{me}-parse", f"in-process-{me}-{0:012x}", f"in-process-{me}-{1:012x}",
         f"in-process-{gone}-aaaaaaaaaaaa"])
    assert sorted(p.name for p in target.iterdir()) == sorted(
        ["3f2a9c1", *(f"in-process-{me}-{i:012x}" for i in (2, 3, 4)), f"in-process-{alive}-bbbbbbbbbbbb"])


@pytest.mark.parametrize(("value", "in_process"), [(None, True), ("1", True), ("0", False), ("false", False)])
def test_dbt_runs_in_the_process_unless_told_otherwise(monkeypatch, value, in_process):
    if value is None:
        monkeypatch.delenv("INVENTORY_DBT_IN_PROCESS", raising=False)
    else:
        monkeypatch.setenv("INVENTORY_DBT_IN_PROCESS", value)
    settings = load_settings()
    assert settings.dbt_in_process is in_process and dbt_resource(settings).in_process is in_process


def test_a_bad_dbt_in_process_value_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("INVENTORY_DBT_IN_PROCESS", "yes")
    with pytest.raises(ValueError, match="INVENTORY_DBT_IN_PROCESS"):
        load_settings()
