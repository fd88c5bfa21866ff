"""Each dbt invocation's partial parse is kept for the next one (the resource's start-up overrides are pinned
in test_dagster_adapter.py)."""

from types import SimpleNamespace

from inventory_platform.transform import dbt_cli
from inventory_platform.transform.dbt_cli import keep_partial_parse


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
