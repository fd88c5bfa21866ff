"""Freshness of the data, not of the build: with the clock past the window after the newest event day, each layer's
`data_is_current` check fails (in a run and by data_freshness_sensor as the clock moves), and the alert sensor
sends one alert for the one cause, listing the late assets and the runbook; recovery is one alert too.

On the real code location (build_defs), a real Dagster instance and Dagster's own clock (freeze_time)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest
from dagster._core.test_utils import freeze_time

from inventory_platform.definitions import build_defs
from inventory_platform.monitoring.data_freshness import DATA_FRESHNESS_CHECK, DATA_FRESHNESS_KEYS
from inventory_platform.monitoring.data_freshness_sensor import build_data_freshness_sensor
from inventory_platform.monitoring.notifiers import alerts_file
from inventory_platform.monitoring.runbooks import FRESHNESS
from inventory_platform.redshift.offline_ddl import parse_redshift
from inventory_platform.settings import load_settings
from inventory_platform.transform.materialization_metadata import NEWEST_EVENT_DATE
from tests.support.alert_ticker import AlertSensorTicker

NEWEST = date(2025, 12, 31)
CHECK_KEYS = [dg.AssetCheckKey(key, DATA_FRESHNESS_CHECK) for key in DATA_FRESHNESS_KEYS]
ASSETS = sorted(key.to_user_string() for key in DATA_FRESHNESS_KEYS)


def at(day: date, hour: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def platform(tmp_path, monkeypatch):
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTORY_DUCKDB_PATH", str(tmp_path / "data" / "wh.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    for var in ("INVENTORY_ALERT_SLACK_WEBHOOK", "INVENTORY_ALERT_SMTP_HOST", "INVENTORY_CODE_URL",
                "INVENTORY_DATA_FRESHNESS_WARN_HOURS", "INVENTORY_DATA_FRESHNESS_FAIL_HOURS"):
        monkeypatch.delenv(var, raising=False)
    defs = build_defs(load_settings())
    (tmp_path / "instance").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "instance")) as instance:
        yield defs, instance


def built(instance: dg.DagsterInstance, newest: date) -> None:
    """Each layer materialized, recording the newest event day it holds (as Bronze's load and dbt's build do)."""
    for key in DATA_FRESHNESS_KEYS:
        instance.report_runless_asset_event(dg.AssetMaterialization(key, metadata={NEWEST_EVENT_DATE: newest.isoformat()}))


def tick_freshness_sensor(defs: dg.Definitions, instance: dg.DagsterInstance) -> list[dg.AssetCheckEvaluation]:
    """One tick, its evaluations stored as the daemon stores them."""
    sensor = defs.get_repository_def().get_sensor_def("data_freshness_sensor")
    with dg.build_sensor_context(instance=instance, definitions=defs) as context:
        result = sensor(context)
    events = result.asset_events if isinstance(result, dg.SensorResult) else []
    for event in events:
        instance.report_runless_asset_event(event)
    return events


def latest_verdicts(instance: dg.DagsterInstance) -> dict[str, tuple[bool, str]]:
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(CHECK_KEYS)
    return {key.asset_key.to_user_string(): (latest[key].event.asset_check_evaluation.passed,
                                             latest[key].event.asset_check_evaluation.description)
            for key in CHECK_KEYS if key in latest}


def test_late_data_fails_each_layer_and_is_one_alert_with_the_runbook(platform):
    defs, instance = platform
    ticker = AlertSensorTicker(instance, defs)
    with freeze_time(at(NEWEST + timedelta(days=1), 3)):  # 3 h after the newest day ended: current
        built(instance, NEWEST)
        assert len(tick_freshness_sensor(defs, instance)) == 3
        assert {passed for passed, _ in latest_verdicts(instance).values()} == {True}
        assert tick_freshness_sensor(defs, instance) == []  # unchanged within the hour: nothing recorded
        assert ticker.tick() == []

    with freeze_time(at(NEWEST + timedelta(days=3))):  # 48 h late: past the 32 h window
        evaluations = tick_freshness_sensor(defs, instance)
        assert {e.asset_key.to_user_string() for e in evaluations} == set(ASSETS)
        assert {e.severity for e in evaluations} == {dg.AssetCheckSeverity.ERROR}
        verdicts = latest_verdicts(instance)  # what the catalog shows for each asset's check
        assert set(verdicts) == set(ASSETS) and not any(passed for passed, _ in verdicts.values())
        assert all(f"newest event {NEWEST}" in text and "late" in text for _, text in verdicts.values())

        [alert] = ticker.tick()  # one cause, one alert: not one per late asset
        assert (alert["level"], alert["kind"]) == ("FAIL", "check")
        assert alert["target"] == f"bronze/inventory_transactions:{DATA_FRESHNESS_CHECK}"  # the most upstream
        assert alert["assets"] == ASSETS
        assert alert["runbook"] == FRESHNESS
        assert alert["runbook_url"] == "http://127.0.0.1:3001/runbook?doc=runbook_freshness"
        assert ticker.tick() == []
        assert tick_freshness_sensor(defs, instance) == []
        assert alert["details"]["incident"] in ticker.open_incidents()

        # A run that evaluates the checks (as every job that builds these assets does) agrees.
        job = dg.define_asset_job("check_data_freshness", selection=dg.AssetSelection.checks(*CHECK_KEYS))
        result = dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def(
            "check_data_freshness").execute_in_process(instance=instance)
        assert result.success and not any(e.passed for e in result.get_asset_check_evaluations())
        assert len(result.get_asset_check_evaluations()) == 3
        assert ticker.tick() == []

    with freeze_time(at(NEWEST + timedelta(days=3), 1)):  # the missing days land and every layer is rebuilt
        built(instance, NEWEST + timedelta(days=2))
        assert len(tick_freshness_sensor(defs, instance)) == 3
        [recovered] = ticker.tick()
        assert (recovered["level"], recovered["details"]["incident"]) == ("PASS", alert["details"]["incident"])
        assert ticker.tick() == []
        assert ticker.open_incidents() == "No open incident."

    assert len(alerts_file(load_settings()).read_text().splitlines()) == 2


def test_thresholds_come_from_the_environment(platform, monkeypatch):
    defs, instance = platform
    monkeypatch.setenv("INVENTORY_DATA_FRESHNESS_WARN_HOURS", "2000")
    monkeypatch.setenv("INVENTORY_DATA_FRESHNESS_FAIL_HOURS", "3000")
    defs = build_defs(load_settings())
    with freeze_time(at(NEWEST + timedelta(days=30))):  # 696 h late: within a 2,000 h window
        built(instance, NEWEST)
        tick_freshness_sensor(defs, instance)
        assert {passed for passed, _ in latest_verdicts(instance).values()} == {True}
    monkeypatch.setenv("INVENTORY_DATA_FRESHNESS_WARN_HOURS", "40")
    with pytest.raises(ValueError, match="INVENTORY_DATA_FRESHNESS_WARN_HOURS"):
        monkeypatch.setenv("INVENTORY_DATA_FRESHNESS_FAIL_HOURS", "30")
        load_settings()


def test_on_redshift_the_sensor_observes_external_bronze_then_judges_it(platform):
    """Bronze on Redshift is loaded outside Dagster and records no materialization: the sensor reads its newest
    event day (Redshift SQL, parsed as such) and records it as an observation before evaluating."""
    _, instance = platform
    statements = []

    class Redshift:
        def query(self, sql: str, params=None):
            parse_redshift(sql)
            statements.append(sql)
            return [(NEWEST,)]

    sensor = build_data_freshness_sensor(load_settings(), observe_bronze=True)
    with freeze_time(at(NEWEST + timedelta(days=3))):
        with dg.build_sensor_context(instance=instance, resources={"warehouse": Redshift()}) as context:
            result = sensor(context)
    [evaluation] = result.asset_events  # only Bronze was ever recorded
    assert evaluation.asset_key == DATA_FRESHNESS_KEYS[0] and not evaluation.passed
    [observed] = instance.fetch_observations(DATA_FRESHNESS_KEYS[0], limit=1).records
    assert observed.asset_observation.metadata[NEWEST_EVENT_DATE].value == NEWEST.isoformat()
    assert len(statements) == 1 and "bronze.inventory_transactions" in statements[0]
