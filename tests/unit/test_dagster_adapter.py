"""Pins every Dagster and dagster-dbt internal the platform relies on (inventory_platform/dagster_adapter.py),
so an upgrade that changes one fails here rather than silently (a lost partition range, start-up costs back)."""

import importlib.metadata
import subprocess

import dagster as dg
from dagster._core.storage import tags as dagster_tags
from dagster_dbt import DbtCliResource

from inventory_platform.dagster_adapter import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, InventoryDbtCli, partition_range_tags
from inventory_platform.settings import DBT_PROJECT_DIR
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
    assert isinstance(DbtCliResource.__dict__["_cli_version"], type(InventoryDbtCli.__dict__["_cli_version"]))
    assert callable(DbtCliResource.__dict__["_initialize_dbt_core_adapter"])


def test_version_comes_from_the_installed_package_without_a_subprocess(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"subprocess started: {args}")

    monkeypatch.setattr(subprocess, "check_output", refuse)
    resource = InventoryDbtCli(project_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable())
    assert str(resource._cli_version) == importlib.metadata.version("dbt-core")
    assert resource._initialize_dbt_core_adapter(["build"]) is None
