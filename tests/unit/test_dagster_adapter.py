"""Pins every Dagster and dagster-dbt internal the platform relies on (inventory_platform/dagster_adapter.py),
so an upgrade that changes one fails here rather than silently (a lost partition range, start-up costs back)."""

import dataclasses
import importlib.metadata
import inspect
import subprocess

import dagster as dg
import yaml
from dagster._core.storage import tags as dagster_tags
from dagster_dbt import DbtCliInvocation, DbtCliResource

from inventory_platform.dagster_adapter import (
    CODE_LOCATION,
    DEFINITIONS_MODULE,
    PARTITION_RANGE_END_TAG,
    PARTITION_RANGE_START_TAG,
    code_location_job_origin,
    dbt_cli_resource,
    execute_in_code_location,
    inventory_dbt_cli_class,
    partition_range_tags,
)
from inventory_platform.settings import DBT_PROJECT_DIR, REPO_ROOT
from inventory_platform.transform.dbt_cli import dbt_executable


def test_partition_range_tags_are_dagsters():
    assert (PARTITION_RANGE_START_TAG, PARTITION_RANGE_END_TAG) == (
        dagster_tags.ASSET_PARTITION_RANGE_START_TAG, dagster_tags.ASSET_PARTITION_RANGE_END_TAG)


def test_partition_range_tags_make_one_run_over_the_range():
    daily = dg.DailyPartitionsDefinition(start_date="2024-01-01")

    @dg.asset(partitions_def=daily, backfill_policy=dg.BackfillPolicy.single_run())
    def days(context: dg.AssetExecutionContext) -> None:
        context.add_output_metadata({"range": f"{context.partition_key_range.start}..{context.partition_key_range.end}"})

    result = dg.materialize([days], tags=partition_range_tags("2024-01-03", "2024-01-05"))
    events = result.get_asset_materialization_events()
    assert result.success and len(result.get_step_success_events()) == 1  # one run, one step: not three runs
    assert sorted(e.materialization.partition for e in events) == ["2024-01-03", "2024-01-04", "2024-01-05"]
    assert {e.materialization.metadata["range"].value for e in events} == {"2024-01-03..2024-01-05"}


def test_overrides_still_name_dagster_dbt_internals():
    # An upgrade that renames them would silently bring the start-up costs back.
    assert isinstance(DbtCliResource.__dict__["_cli_version"],
                      type(inventory_dbt_cli_class().__dict__["_cli_version"]))
    assert callable(DbtCliResource.__dict__["_initialize_dbt_core_adapter"])


def test_the_dbt_step_uses_dagster_dbts_selection_and_event_fields():
    from dagster_dbt.asset_utils import get_subset_selection_for_context

    assert {"context", "project"} <= {f.name for f in dataclasses.fields(DbtCliInvocation)}
    assert list(inspect.signature(get_subset_selection_for_context).parameters) == [
        "context", "manifest", "select", "exclude", "selector", "dagster_dbt_translator",
        "current_dbt_indirect_selection_env"]


def test_version_comes_from_the_installed_package_without_a_subprocess(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"subprocess started: {args}")

    monkeypatch.setattr(subprocess, "check_output", refuse)
    resource = dbt_cli_resource(project_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable())
    assert str(resource._cli_version) == importlib.metadata.version("dbt-core")
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_code_location_is_the_one_the_workspace_serves():
    [location] = yaml.safe_load((REPO_ROOT / "workspace.yaml").read_text())["load_from"]
    assert location["python_module"]["location_name"] == CODE_LOCATION
    assert location["python_module"]["module_name"] == DEFINITIONS_MODULE
    origin = code_location_job_origin("build_silver_gold")
    assert origin.location_name == CODE_LOCATION and origin.job_name == "build_silver_gold"
    assert origin.repository_origin.code_location_origin.loadable_target_origin.module_name == DEFINITIONS_MODULE


def test_execute_in_code_location_runs_in_process_in_a_run_filed_under_the_code_location():
    @dg.asset
    def counted() -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={"rows": 3})

    @dg.asset_check(asset=counted)
    def has_rows() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, description="no rows")

    @dg.asset(deps=[counted])
    def broken() -> None:
        raise ValueError("boom")

    # A multiprocess executor (the production engine's) is replaced as execute_in_process replaces it.
    defs = dg.Definitions(assets=[counted, broken], asset_checks=[has_rows], executor=dg.multiprocess_executor,
                          jobs=[dg.define_asset_job("both", selection="*")])
    with dg.instance_for_test() as instance:
        result = execute_in_code_location(defs.resolve_job_def("both"), instance, run_config={}, tags={"who": "me"})
        run = instance.get_run_by_id(result.run_id)
    assert not result.success  # recorded in the result, not raised
    assert [e.asset_key for e in result.get_asset_materialization_events()] == [dg.AssetKey("counted")]
    assert [(e.check_name, e.passed) for e in result.get_asset_check_evaluations()] == [("has_rows", False)]
    [failure] = result.get_step_failure_events()
    assert "ValueError: boom" in failure.step_failure_data.error.to_string()
    assert run.job_name == "both" and run.tags["who"] == "me"
    assert run.remote_job_origin == code_location_job_origin("both")
    assert run.tags_for_storage()[dagster_tags.REPOSITORY_LABEL_TAG] == f"__repository__@{CODE_LOCATION}"
