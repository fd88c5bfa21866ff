"""warehouse_disk_sensor reports pass, warn and fail as usage crosses the thresholds, records an
observation and a check result in a real Dagster instance, and its failure reaches the alert sensor."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from inventory_platform.definitions import build_defs
from inventory_platform.monitoring.alert_sensor import build_alert_sensor
from inventory_platform.monitoring.disk_sensor import build_warehouse_disk_sensor
from inventory_platform.monitoring.disk_usage import GB, MB, DiskUsage, read_duckdb_usage, read_redshift_usage
from inventory_platform.monitoring.levels import Level
from inventory_platform.monitoring.notifiers import alerts_file
from inventory_platform.monitoring.runbooks import DISK_SPACE
from inventory_platform.monitoring.storage_asset import DISK_CHECK, STORAGE_ASSET, evaluate_disk_usage
from inventory_platform.settings import load_settings
from tests.support.crashed_writer import crash_after_writes
from tests.support.recording_redshift import RecordingRedshift

CHECK_KEY = dg.AssetCheckKey(STORAGE_ASSET, DISK_CHECK)


@pytest.fixture
def local_env(tmp_path, monkeypatch):
    db = tmp_path / "data" / "wh.duckdb"
    db.parent.mkdir()
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE stock AS SELECT range AS sku, range % 7 AS qty FROM range(100000)")
    con.close()
    monkeypatch.setenv("INVENTORY_ENV", "local")
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTORY_DUCKDB_PATH", str(db))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    for var in ("INVENTORY_ALERT_SLACK_WEBHOOK", "INVENTORY_ALERT_SMTP_HOST"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "instance").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "instance")) as instance:
        yield db, instance


def thresholds(used_pct: float, expected: Level) -> tuple[float, float]:
    """warn/fail percentages that put the measured usage in the expected band, with wide margins."""
    if expected is Level.PASS:
        return used_pct + (100 - used_pct) / 3, used_pct + 2 * (100 - used_pct) / 3
    if expected is Level.WARN:
        return used_pct / 2, used_pct + (100 - used_pct) / 2
    return used_pct / 3, used_pct / 2


def tick_disk_sensor(defs: dg.Definitions, instance: dg.DagsterInstance) -> dg.SensorResult:
    """One tick as the daemon runs it: evaluate, then store the asset events in the instance."""
    sensor = defs.get_repository_def().get_sensor_def("warehouse_disk_sensor")
    with dg.build_sensor_context(instance=instance, definitions=defs,
                                 resources={"warehouse": defs.resources["warehouse"]}) as context:
        result = sensor(context)
    for event in result.asset_events:
        instance.report_runless_asset_event(event)
    return result


def latest_check(instance: dg.DagsterInstance) -> dg.AssetCheckEvaluation:
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key([CHECK_KEY])[CHECK_KEY]
    return record.event.asset_check_evaluation


@pytest.mark.parametrize("expected", list(Level), ids=lambda level: level.value)
def test_sensor_reports_each_level_as_usage_crosses_the_thresholds(local_env, monkeypatch, expected):
    db, instance = local_env
    used = read_duckdb_usage(db).used_pct
    warn, fail = thresholds(used, expected)
    monkeypatch.setenv("INVENTORY_DISK_WARN_PCT", f"{warn:.3f}")
    monkeypatch.setenv("INVENTORY_DISK_FAIL_PCT", f"{fail:.3f}")
    defs = build_defs(load_settings())

    tick_disk_sensor(defs, instance)

    evaluation = latest_check(instance)
    assert evaluation.passed is (expected is Level.PASS)
    if expected is not Level.PASS:
        want = dg.AssetCheckSeverity.WARN if expected is Level.WARN else dg.AssetCheckSeverity.ERROR
        assert evaluation.severity == want
    assert f"({expected.value};" in evaluation.description
    observation = instance.fetch_observations(STORAGE_ASSET, limit=1).records[0].asset_observation
    assert observation.metadata["used_pct"].value == pytest.approx(used, abs=1.0)
    assert observation.metadata["file_bytes"].value == db.stat().st_size
    assert observation.metadata["path"].value == str(db)


def test_thresholds_are_inclusive_at_the_boundaries():
    def at(pct: float) -> Level:
        usage = DiskUsage("duckdb", used_bytes=int(pct * 1000), capacity_bytes=100_000, warehouse_bytes=1)
        return evaluate_disk_usage(usage, warn_pct=80, fail_pct=90).level

    assert [at(p) for p in (79.999, 80.0, 89.999, 90.0, 100.0)] == [
        Level.PASS, Level.WARN, Level.WARN, Level.FAIL, Level.FAIL]


def test_usage_counts_the_wal_of_a_crashed_writer_and_spill_files(tmp_path):
    db = tmp_path / "w.duckdb"
    crash_after_writes(db)
    (tmp_path / "w.duckdb.tmp").mkdir()
    (tmp_path / "w.duckdb.tmp" / "duckdb_temp_storage-0.tmp").write_bytes(b"x" * 4096)
    usage = read_duckdb_usage(db)
    wal = (tmp_path / "w.duckdb.wal").stat().st_size
    assert usage.details["wal_bytes"] == wal > 0
    assert usage.details["temp_bytes"] == 4096
    assert usage.warehouse_bytes == db.stat().st_size + wal + 4096
    assert 0 < usage.used_pct < 100 and usage.capacity_bytes > usage.details["free_bytes"]


def test_a_warehouse_not_created_yet_measures_its_future_volume(tmp_path):
    usage = read_duckdb_usage(tmp_path / "not" / "yet" / "w.duckdb")
    assert usage.warehouse_bytes == 0 and usage.capacity_bytes > 0


def test_redshift_usage_against_configured_capacity_and_provisioned_disks():
    serverless = RecordingRedshift({"redshift_storage_total": [(800 * 1024, 42)]})
    usage = read_redshift_usage(serverless, capacity_gb=1000)
    assert usage.used_pct == 80.0 and usage.details["tables"] == 42
    assert evaluate_disk_usage(usage, 80, 90).level is Level.WARN
    assert len(serverless.statements) == 1  # capacity configured: no stv_partitions on Serverless

    provisioned = RecordingRedshift({"redshift_storage_total": [(500_000, 10)],
                                     "redshift_provisioned_disk_capacity": [(950_000, 1_000_000, 95.0)]})
    usage = read_redshift_usage(provisioned, capacity_gb=None)
    assert (usage.used_bytes, usage.capacity_bytes, usage.warehouse_bytes) == (950_000 * MB, 1_000_000 * MB, 500_000 * MB)
    assert evaluate_disk_usage(usage, 80, 90).level is Level.FAIL
    assert 1000 * GB > 0


def test_unreadable_redshift_usage_warns_and_names_the_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("INVENTORY_ENV", "prod")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("INVENTORY_DUCKDB_PATH", str(tmp_path / "unused.duckdb"))
    monkeypatch.delenv("INVENTORY_REDSHIFT_STORAGE_CAPACITY_GB", raising=False)
    serverless = RecordingRedshift(
        {"redshift_storage_total": [(10, 1)]},
        failing={"redshift_provisioned_disk_capacity": RuntimeError("permission denied for relation stv_partitions")})
    sensor = build_warehouse_disk_sensor(load_settings())
    with dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral(), resources={"warehouse": serverless}) as context:
        result = sensor(context)
    [evaluation] = result.asset_events  # no observation: nothing was measured
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert "INVENTORY_REDSHIFT_STORAGE_CAPACITY_GB" in evaluation.description
    assert "stv_partitions" in evaluation.description


def test_a_disk_failure_alerts_once_with_the_disk_runbook_and_recovers_once(local_env, monkeypatch):
    db, instance = local_env
    used = read_duckdb_usage(db).used_pct
    alert_cursor = None

    def tick(expected: Level) -> list[str]:
        nonlocal alert_cursor
        warn, fail = thresholds(used, expected)
        monkeypatch.setenv("INVENTORY_DISK_WARN_PCT", f"{warn:.3f}")
        monkeypatch.setenv("INVENTORY_DISK_FAIL_PCT", f"{fail:.3f}")
        settings = load_settings()
        defs = build_defs(settings)
        tick_disk_sensor(defs, instance)
        path = alerts_file(settings)
        before = path.read_text().splitlines() if path.exists() else []
        with dg.build_sensor_context(instance=instance, definitions=defs, cursor=alert_cursor) as context:
            alert_cursor = build_alert_sensor(settings)(context).cursor
        return path.read_text().splitlines()[len(before):] if path.exists() else []

    assert tick(Level.PASS) == []
    [failing] = tick(Level.FAIL)
    assert '"level": "FAIL"' in failing and DISK_SPACE in failing and "ops/warehouse_storage" in failing
    assert tick(Level.FAIL) == []  # still full: no second alert
    [recovered] = tick(Level.PASS)
    assert '"level": "PASS"' in recovered and DISK_SPACE in recovered


def test_the_disk_check_also_runs_on_demand_as_a_real_run(local_env):
    db, instance = local_env
    defs = build_defs(load_settings())
    job = dg.define_asset_job("check_disk", selection=dg.AssetSelection.checks(CHECK_KEY))
    result = dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def("check_disk").execute_in_process(
        instance=instance)
    assert result.success
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.check_name == DISK_CHECK and str(db) in evaluation.description
