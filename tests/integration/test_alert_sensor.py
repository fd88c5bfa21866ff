"""The alert sensor notifies exactly once per incident transition (opened, level changed, resolved), driven by
real runs, real check evaluations and Dagster's real freshness daemon in a real instance; it never repeats a
standing state, and one stale source is one incident however many assets it makes late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.test_utils import create_test_daemon_workspace_context, freeze_time
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._daemon.freshness import FreshnessDaemon

from inventory_platform.monitoring import runbooks
from inventory_platform.monitoring.alert_sensor import AlertCursor
from tests.support import alerting_defs
from tests.support.alert_ticker import AlertSensorTicker
from tests.support.alerting_defs import (
    CHAIN,
    LOADER,
    SWITCHES,
    WIDGET,
    WIDGET_CHECK,
    loader,
    middle,
    report,
    source,
    widget,
    widget_is_sane,
)
from tests.support.notification_sinks import slack_webhook


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTORY_DUCKDB_PATH", str(tmp_path / "data" / "wh.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    for var in ("INVENTORY_ALERT_SLACK_WEBHOOK", "INVENTORY_ALERT_SMTP_HOST"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "instance").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "instance")) as instance:
        yield instance
    SWITCHES.update(check="pass", conflict_db=None)


def materialize_widget(instance, check: str) -> None:
    SWITCHES["check"] = check
    assert dg.materialize([widget, widget_is_sane], instance=instance).success  # checks never fail the run


def test_a_check_alerts_once_per_transition_and_never_for_a_standing_state(instance):
    ticker = AlertSensorTicker(instance)
    materialize_widget(instance, "pass")
    assert ticker.tick() == []  # first sighting of a passing check and a successful run: nothing to say

    materialize_widget(instance, "warn")
    [warned] = ticker.tick()
    assert (warned["kind"], warned["target"], warned["level"]) == ("check", f"gold/widget:{WIDGET_CHECK}", "WARN")
    assert (warned["previous_state"], warned["state"]) == ("PASSED", "FAILED (WARN)")
    assert warned["runbook"] == runbooks.DATA_CHECKS and warned["assets"] == ["gold/widget"]
    assert warned["runbook_url"] == "http://127.0.0.1:3001/runbook?doc=runbook_data_checks"
    assert "widget is broken (warn)" in warned["summary"]
    incident = warned["details"]["incident"]
    assert warned["subject"] == f"incident:{incident}" and incident in ticker.open_incidents()
    assert ticker.tick() == []
    materialize_widget(instance, "warn")  # evaluated again, still warning
    assert ticker.tick() == []

    materialize_widget(instance, "error")
    [failed] = ticker.tick()
    assert (failed["level"], failed["previous_state"], failed["state"]) == ("FAIL", "FAILED (WARN)", "FAILED (ERROR)")
    assert failed["details"]["incident"] == incident  # the same incident, now failing

    materialize_widget(instance, "pass")
    [recovered] = ticker.tick()
    assert (recovered["level"], recovered["state"], recovered["runbook"]) == ("PASS", "PASSED", runbooks.DATA_CHECKS)
    assert recovered["headline"].startswith("[RECOVERED] check gold/widget")
    assert recovered["details"]["incident"] == incident and ticker.open_incidents() == "No open incident."
    assert ticker.tick() == []


def test_a_failed_run_alerts_once_with_the_serialization_runbook_and_recovers_once(instance, tmp_path, monkeypatch):
    with slack_webhook() as (url, posts):
        monkeypatch.setenv("INVENTORY_ALERT_SLACK_WEBHOOK", url)
        ticker = AlertSensorTicker(instance)
        SWITCHES["conflict_db"] = str(tmp_path / "race.duckdb")
        assert not dg.materialize([loader], instance=instance, raise_on_error=False).success

        [failed] = ticker.tick()
        assert (failed["kind"], failed["level"], failed["state"]) == ("run", "FAIL", "FAILURE")
        assert failed["runbook"] == runbooks.SERIALIZATION  # chosen from the real DuckDB conflict error
        assert "Conflict" in failed["summary"] and failed["assets"] == [LOADER.to_user_string()]
        assert failed["details"]["run_id"] in failed["summary"]
        assert ticker.tick() == []
        assert not dg.materialize([loader], instance=instance, raise_on_error=False).success
        assert ticker.tick() == []  # failing again is the same state: no second page

        SWITCHES["conflict_db"] = None
        assert dg.materialize([loader], instance=instance).success
        [recovered] = ticker.tick()
        assert (recovered["level"], recovered["previous_state"], recovered["state"]) == ("PASS", "FAILURE", "SUCCESS")
        assert recovered["runbook"] == runbooks.SERIALIZATION  # the incident's runbook
        assert ticker.tick() == []

        assert len(posts) == 2  # Slack got exactly the two alerts, nothing more
        assert ":red_circle:" in posts[0]["text"] and runbooks.SERIALIZATION in posts[0]["text"]
        assert ":large_green_circle:" in posts[1]["text"]


def test_freshness_warn_fail_and_recovery_each_notify_once(instance):
    ticker = AlertSensorTicker(instance)
    materialize_widget(instance, "pass")
    materialized_at = datetime.now(UTC)
    origin = InProcessCodeLocationOrigin(LoadableTargetOrigin(
        python_file=str(Path(alerting_defs.__file__)), attribute="defs", working_directory=str(Path.cwd())))
    with create_test_daemon_workspace_context(InProcessWorkspaceLoadTarget([origin]), instance) as workspace:
        daemon = FreshnessDaemon()

        def freshness_daemon_at(moment: datetime) -> str:
            with freeze_time(moment):
                list(daemon.run_iteration(workspace))
            return instance.get_freshness_state_records([WIDGET])[WIDGET].freshness_state.value

        assert freshness_daemon_at(materialized_at) == "PASS"
        assert ticker.tick() == []
        assert freshness_daemon_at(materialized_at + timedelta(minutes=90)) == "WARN"  # warn window: 1 h
        [warned] = ticker.tick()
        assert (warned["kind"], warned["target"], warned["state"], warned["previous_state"]) == (
            "freshness", "gold/widget", "WARN", "PASS")
        assert warned["runbook"] == runbooks.FRESHNESS and "fails 2:00:00 after" in warned["summary"]
        assert freshness_daemon_at(materialized_at + timedelta(minutes=100)) == "WARN"
        assert ticker.tick() == []
        assert freshness_daemon_at(materialized_at + timedelta(hours=3)) == "FAIL"  # fail window: 2 h
        [failed] = ticker.tick()
        assert (failed["state"], failed["level"]) == ("FAIL", "FAIL")

        materialize_widget(instance, "pass")
        assert freshness_daemon_at(datetime.now(UTC)) == "PASS"
        [recovered] = ticker.tick()
        assert (recovered["state"], recovered["previous_state"], recovered["level"]) == ("PASS", "FAIL", "PASS")
        assert ticker.tick() == []


def test_one_stale_source_is_one_incident(instance):
    """Every asset of the chain breaches its freshness policy: one alert, caused by the source, listing all
    three; the chain's recovery is one alert too."""
    ticker = AlertSensorTicker(instance)
    assert dg.materialize([source, middle, report], instance=instance).success
    materialized_at = datetime.now(UTC)
    origin = InProcessCodeLocationOrigin(LoadableTargetOrigin(
        python_file=str(Path(alerting_defs.__file__)), attribute="defs", working_directory=str(Path.cwd())))
    with create_test_daemon_workspace_context(InProcessWorkspaceLoadTarget([origin]), instance) as workspace:
        daemon = FreshnessDaemon()

        def freshness_daemon_at(moment: datetime) -> set[str]:
            with freeze_time(moment):
                list(daemon.run_iteration(workspace))
            records = instance.get_freshness_state_records(list(CHAIN))
            return {records[key].freshness_state.value for key in CHAIN}

        assert freshness_daemon_at(materialized_at) == {"PASS"}
        assert ticker.tick() == []
        assert freshness_daemon_at(materialized_at + timedelta(hours=3)) == {"FAIL"}
        [alert] = ticker.tick()  # not three
        assert (alert["kind"], alert["target"], alert["level"]) == ("freshness", "bronze/source", "FAIL")
        assert alert["assets"] == sorted(key.to_user_string() for key in CHAIN)
        assert alert["runbook"] == runbooks.FRESHNESS and "runbook?doc=runbook_freshness" in alert["runbook_url"]
        assert "freshness:silver/middle" in alert["summary"] and "freshness:gold/report" in alert["summary"]
        assert ticker.tick() == []
        table = ticker.open_incidents()
        assert alert["details"]["incident"] in table and "bronze/source, gold/report, silver/middle" in table

        assert dg.materialize([source, middle, report], instance=instance).success
        assert freshness_daemon_at(datetime.now(UTC)) == {"PASS"}
        [recovered] = ticker.tick()
        assert (recovered["level"], recovered["details"]["incident"]) == ("PASS", alert["details"]["incident"])
        assert ticker.tick() == []


def test_a_cursor_from_another_version_starts_over_instead_of_misreading():
    assert AlertCursor.parse('{"version": 0, "whatever": 1}').states == {}
    assert AlertCursor.parse('{"version": 1, "states": {"run:x": {}}}').states == {}  # before incidents
    cursor = AlertCursor(states={"run:x": {"level": "FAIL", "state": "FAILURE", "runbook": "r", "seen": 1.0}},
                         runs_after=12.5)
    again = AlertCursor.parse(cursor.serialize())
    assert (again.states, again.runs_after, again.incidents) == (cursor.states, cursor.runs_after, [])


def test_long_unseen_passing_jobs_leave_the_cursor_but_failing_ones_stay():
    now = datetime(2026, 11, 27, tzinfo=UTC).timestamp()
    old, recent = now - timedelta(days=31).total_seconds(), now - timedelta(days=1).total_seconds()
    cursor = AlertCursor(states={
        "run:old_pass": {"level": "PASS", "state": "SUCCESS", "runbook": "r", "seen": old},
        "run:old_fail": {"level": "FAIL", "state": "FAILURE", "runbook": "r", "seen": old},
        "run:recent_pass": {"level": "PASS", "state": "SUCCESS", "runbook": "r", "seen": recent},
    })
    cursor.forget_old_passes(now)
    assert set(cursor.states) == {"run:old_fail", "run:recent_pass"}
