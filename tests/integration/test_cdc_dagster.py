"""CDC in Dagster, against the real local endpoint: the sensor records Bronze updates made outside
Dagster and starts the micro-batch that merges them into Silver; the lag check passes, warns and fails."""

from __future__ import annotations

import dataclasses
import time

import dagster as dg
import duckdb
import pytest

from inventory_platform.cdc.assets import CDC_EVENTS_KEY, CDC_LAG_CHECK
from inventory_platform.cdc.local_pipeline import poll_until_idle
from inventory_platform.cdc.sensors import build_cdc_bronze_sensor, build_cdc_lag_sensor
from inventory_platform.settings import load_settings
from streaming.local.local_endpoint import LocalEndpoint
from streaming.local.producer import produce

from ..support.cdc import build_tiny_silver, new_lab


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("cdc_dagster")
    endpoint = LocalEndpoint(root / "endpoint")
    lab = new_lab(root / "lab", endpoint, build_tiny_silver(root / "silver"), prefix="dagster")
    env = pytest.MonkeyPatch()
    for var, value in {"INVENTORY_ENV": "local", "INVENTORY_DATA_DIR": str(lab.root),
                       "INVENTORY_DUCKDB_PATH": str(lab.db), "DAGSTER_HOME": str(root / "dagster_home"),
                       "INVENTORY_CDC_STREAM_PREFIX": "dagster", "AWS_ENDPOINT_URL": lab.url,
                       "POWERTOOLS_LOG_LEVEL": "WARNING"}.items():
        env.setenv(var, value)
    yield lab
    env.undo()
    endpoint.down()


def evaluate(sensor, instance, cursor=None):
    return sensor(dg.build_sensor_context(instance=instance, cursor=cursor))


def test_lag_check_passes_warns_and_fails_as_lag_crosses_the_thresholds(lab):
    settings = load_settings()
    source = lab.source(seed=21)
    produce(lab.kinesis, lab.names.raw, source, 300)
    time.sleep(1.2)  # the oldest unprocessed record is now over a second old
    instance = dg.DagsterInstance.ephemeral()

    def verdict(warn, fail):
        sensor = build_cdc_lag_sensor(dataclasses.replace(settings, cdc_lag_warn_seconds=warn, cdc_lag_fail_seconds=fail))
        check = next(e for e in evaluate(sensor, instance).asset_events if isinstance(e, dg.AssetCheckEvaluation))
        assert (check.asset_key, check.check_name) == (CDC_EVENTS_KEY, CDC_LAG_CHECK)
        assert check.metadata["raw_records_waiting"].value >= 0
        return check.passed, check.severity

    assert verdict(warn=3600, fail=7200) == (True, dg.AssetCheckSeverity.WARN)
    assert verdict(warn=1, fail=3600) == (False, dg.AssetCheckSeverity.WARN)
    assert verdict(warn=0.5, fail=1) == (False, dg.AssetCheckSeverity.ERROR)
    poll_until_idle(lab.pipeline())
    assert verdict(warn=0.5, fail=1) == (True, dg.AssetCheckSeverity.WARN)  # caught up: no lag


def test_bronze_updates_are_recorded_and_start_the_microbatch_that_merges_them(lab):
    from inventory_platform.definitions import build_defs

    settings = load_settings()
    defs = build_defs(settings)
    instance = dg.DagsterInstance.ephemeral()
    sensor = build_cdc_bronze_sensor(settings)
    produce(lab.kinesis, lab.names.raw, lab.source(seed=20), 1_000)  # the first ~590 are the initial snapshot
    poll_until_idle(lab.pipeline())
    first = evaluate(sensor, instance)
    assert [type(e) for e in first.asset_events] == [dg.AssetMaterialization]
    assert first.asset_events[0].asset_key == CDC_EVENTS_KEY and len(first.run_requests) == 1

    run = defs.resolve_job_def("cdc_microbatch").execute_in_process(instance=instance)
    assert run.success
    con = duckdb.connect(str(lab.db), read_only=True)
    streamed = con.execute("select count(*) from silver.fct_inventory_transactions where source_lsn is not null").fetchone()[0]
    con.close()
    assert streamed > 0
    again = evaluate(sensor, instance, cursor=first.cursor)
    assert isinstance(again, dg.SkipReason)

    produce(lab.kinesis, lab.names.raw, lab.source(seed=22), 50)
    poll_until_idle(lab.pipeline())
    later = evaluate(sensor, instance, cursor=first.cursor)
    assert len(later.asset_events) == 1 and later.asset_events[0].metadata["new_rows"].value > 0
    assert len(later.run_requests) == 1
