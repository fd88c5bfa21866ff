"""Jobs and schedules match how the business runs: a nightly batch load and a monthly close, in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

import dagster as dg
import pytest

from inventory_platform.dagster_adapter import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from inventory_platform.definitions import build_defs
from inventory_platform.orchestration.schedules import closed_month
from inventory_platform.settings import load_settings


def defs_for(env: str, monkeypatch, tmp_path) -> dg.Definitions:
    monkeypatch.setenv("INVENTORY_ENV", env)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("INVENTORY_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    return build_defs(load_settings())


@pytest.fixture
def local_defs(monkeypatch, tmp_path):
    return defs_for("local", monkeypatch, tmp_path)


def tick(defs: dg.Definitions, schedule: str, when: datetime) -> dg.RunRequest:
    context = dg.build_schedule_context(scheduled_execution_time=when, repository_def=defs.get_repository_def())
    (request,) = defs.get_schedule_def(schedule).evaluate_tick(context).run_requests
    return request


def selected(defs: dg.Definitions, job: str) -> set[str]:
    return {k.to_user_string() for k in defs.resolve_job_def(job).asset_layer.selected_asset_keys}


def layer_assets(defs: dg.Definitions) -> set[str]:
    """Bronze, Silver and Gold, without the CDC Bronze table (appended outside Dagster by the stream loader)."""
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    return {k for k in keys if k.split("/")[0] in ("bronze", "silver", "gold")} - {"bronze/cdc_events"}


def test_jobs_are_named_for_what_they_do_and_select_the_right_layers(local_defs):
    every_asset = layer_assets(local_defs)
    silver_gold = {k for k in every_asset if not k.startswith("bronze/")}
    assert selected(local_defs, "daily_batch_load") == every_asset
    assert selected(local_defs, "monthly_close") == every_asset
    assert selected(local_defs, "build_silver_gold") == silver_gold
    assert selected(local_defs, "load_inventory_transactions") == {"bronze/inventory_transactions"}
    assert selected(local_defs, "load_reference_data") == {k for k in every_asset - silver_gold
                                                           if k != "bronze/inventory_transactions"}
    assert local_defs.resolve_job_def("daily_batch_load").partitions_def is not None


def test_schedules_run_in_utc_and_start_stopped_on_a_laptop(local_defs):
    daily = local_defs.get_schedule_def("daily_batch_load_schedule")
    monthly = local_defs.get_schedule_def("monthly_close_schedule")
    assert (daily.cron_schedule, daily.execution_timezone, daily.job_name) == ("0 2 * * *", "UTC", "daily_batch_load")
    assert (monthly.cron_schedule, monthly.execution_timezone, monthly.job_name) == ("0 6 3 * *", "UTC", "monthly_close")
    assert daily.default_status == monthly.default_status == dg.DefaultScheduleStatus.STOPPED


def test_daily_batch_load_loads_the_day_that_just_ended(local_defs):
    request = tick(local_defs, "daily_batch_load_schedule", datetime(2026, 3, 1, 2, tzinfo=UTC))
    assert request.partition_key == "2026-02-28"
    assert request.run_key == "daily-2026-02-28"


def test_monthly_close_covers_every_day_of_the_closed_month(local_defs):
    request = tick(local_defs, "monthly_close_schedule", datetime(2024, 3, 3, 6, tzinfo=UTC))
    assert request.tags[PARTITION_RANGE_START_TAG] == "2024-02-01"
    assert request.tags[PARTITION_RANGE_END_TAG] == "2024-02-29"  # leap year
    assert request.run_key == "close-2024-02"


def test_closed_month_never_starts_before_the_first_partition():
    assert closed_month(date(2022, 2, 3), first_day=date(2022, 1, 15)) == (date(2022, 1, 15), date(2022, 1, 31))
    assert closed_month(date(2023, 1, 3), first_day=date(2022, 1, 1)) == (date(2022, 12, 1), date(2022, 12, 31))


def test_in_production_the_schedules_run_and_bronze_is_loaded_outside_dagster(monkeypatch, tmp_path):
    defs = defs_for("prod", monkeypatch, tmp_path)
    silver_gold = {k for k in layer_assets(defs) if not k.startswith("bronze/")}
    assert selected(defs, "daily_batch_load") == selected(defs, "monthly_close") == silver_gold
    for name in ("daily_batch_load_schedule", "monthly_close_schedule"):
        assert defs.get_schedule_def(name).default_status == dg.DefaultScheduleStatus.RUNNING
    request = tick(defs, "monthly_close_schedule", datetime(2026, 1, 3, 6, tzinfo=UTC))
    assert PARTITION_RANGE_START_TAG not in request.tags and request.tags["closing_month"] == "2025-12"
