"""Operations in the code location: the storage asset and its check, both sensors and the nightly
maintenance schedule start running by themselves, on both engines, and every warehouse writer sits in
the `duckdb_writer` pool (one writer at a time: the prevention side of runbook_serialization.md)."""

from __future__ import annotations

import dagster as dg
import pytest

from inventory_platform.definitions import build_defs
from inventory_platform.lib.redshift_warehouse import RedshiftWarehouse
from inventory_platform.monitoring.alert_sensor import ALERT_SENSOR_INTERVAL_SECONDS
from inventory_platform.monitoring.disk_sensor import DISK_SENSOR_INTERVAL_SECONDS
from inventory_platform.monitoring.jobs import MAINTENANCE_CRON
from inventory_platform.monitoring.runbooks import DISK_SPACE
from inventory_platform.monitoring.storage_asset import DISK_CHECK, STORAGE_ASSET
from inventory_platform.settings import load_settings


@pytest.fixture(params=["local", "prod"])
def engine_defs(request, monkeypatch, tmp_path) -> tuple[str, dg.Definitions]:
    monkeypatch.setenv("INVENTORY_ENV", request.param)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTORY_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    for var in ("REDSHIFT_HOST", "REDSHIFT_PASSWORD"):
        monkeypatch.delenv(var, raising=False)  # credentials are read at run time, not at load
    return request.param, build_defs(load_settings())


def test_storage_asset_carries_the_disk_check_owner_kind_and_runbook(engine_defs):
    engine, defs = engine_defs
    repo = defs.get_repository_def()
    spec = repo.assets_defs_by_key[STORAGE_ASSET].specs_by_key[STORAGE_ASSET]
    assert spec.group_name == "ops" and spec.owners == ["team:data-platform"]
    assert spec.kinds == {"python", "duckdb" if engine == "local" else "redshift"}
    assert spec.metadata["runbook"].value == DISK_SPACE and len(spec.description) > 80
    assert not repo.assets_defs_by_key[STORAGE_ASSET].is_executable  # observed by the sensor, never materialized
    assert dg.AssetCheckKey(STORAGE_ASSET, DISK_CHECK) in repo.asset_graph.asset_check_keys


def test_sensors_and_schedule_run_from_the_start(engine_defs):
    _, defs = engine_defs
    repo = defs.get_repository_def()
    disk, alerts = repo.get_sensor_def("warehouse_disk_sensor"), repo.get_sensor_def("alert_sensor")
    assert disk.default_status == alerts.default_status == dg.DefaultSensorStatus.RUNNING
    assert (disk.minimum_interval_seconds, alerts.minimum_interval_seconds) == (
        DISK_SENSOR_INTERVAL_SECONDS, ALERT_SENSOR_INTERVAL_SECONDS)
    schedule = repo.get_schedule_def("auto_maintenance_schedule")
    assert schedule.job_name == "auto_maintenance" and schedule.cron_schedule == MAINTENANCE_CRON
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING and schedule.execution_timezone == "UTC"


def test_every_warehouse_writer_is_in_the_duckdb_writer_pool(engine_defs):
    engine, defs = engine_defs
    repo = defs.get_repository_def()
    writers = {key: a for key, a in repo.assets_defs_by_key.items() if a.is_executable}
    assert writers, "no executable asset"
    assert {key for key, a in writers.items() if a.node_def.pool != "duckdb_writer"} == set()
    [op] = repo.get_job("auto_maintenance").all_node_defs
    assert op.pool == "duckdb_writer"
    if engine == "prod":
        assert isinstance(defs.resources["warehouse"], RedshiftWarehouse)


@pytest.mark.parametrize(("env", "message"), [
    ({"INVENTORY_DISK_WARN_PCT": "95", "INVENTORY_DISK_FAIL_PCT": "90"}, "must be below INVENTORY_DISK_FAIL_PCT"),
    ({"INVENTORY_DISK_WARN_PCT": "eighty"}, "INVENTORY_DISK_WARN_PCT must be a number"),
    ({"INVENTORY_DISK_FAIL_PCT": "120"}, r"INVENTORY_DISK_FAIL_PCT must be a percentage in \(0, 100\]"),
    ({"INVENTORY_VACUUM_UNSORTED_PCT": "0"}, "INVENTORY_VACUUM_UNSORTED_PCT must be a percentage"),
    ({"INVENTORY_REDSHIFT_STORAGE_CAPACITY_GB": "-5"}, "INVENTORY_REDSHIFT_STORAGE_CAPACITY_GB must be positive"),
])
def test_bad_thresholds_are_refused_naming_the_variable(monkeypatch, env, message):
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    with pytest.raises(ValueError, match=message):
        load_settings()


def test_threshold_defaults_and_overrides(monkeypatch):
    for var in ("INVENTORY_DISK_WARN_PCT", "INVENTORY_DISK_FAIL_PCT", "INVENTORY_REDSHIFT_STORAGE_CAPACITY_GB"):
        monkeypatch.delenv(var, raising=False)
    settings = load_settings()
    assert (settings.disk_warn_pct, settings.disk_fail_pct, settings.redshift_storage_capacity_gb) == (80.0, 90.0, None)
    monkeypatch.setenv("INVENTORY_DISK_WARN_PCT", "70")
    monkeypatch.setenv("INVENTORY_REDSHIFT_STORAGE_CAPACITY_GB", "2048")
    settings = load_settings()
    assert (settings.disk_warn_pct, settings.redshift_storage_capacity_gb) == (70.0, 2048.0)


def test_the_code_location_loads_as_dagster_dev_loads_it(engine_defs):
    """Every job resolvable, the implicit asset job included: an asset cycle (a dbt test reading both the
    ledger and the all-history view, with the cold-tier offload between them) fails here in seconds, not
    only when `dagster dev` refuses the code location in the browser tests."""
    _, defs = engine_defs
    dg.Definitions.validate_loadable(defs)
