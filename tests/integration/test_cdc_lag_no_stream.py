"""The CDC lag check with no local stream running (`make demo` starts none): it passes and says why, and
cdc_lag_sensor records that once per change of state, not every 30 s. Against the real local endpoint,
started and stopped as `inventory-platform stream up` / `stream down` do."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from inventory_platform.cdc.assets import CDC_EVENTS_KEY, CDC_LAG_CHECK, build_cdc_lag_check
from inventory_platform.cdc.local_stack import local_endpoint, shard_counts, stream_names
from inventory_platform.cdc.sensors import build_cdc_lag_sensor
from inventory_platform.settings import load_settings
from streaming.local.local_endpoint import aws_client, ensure_streams


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for var, value in {"INVENTORY_ENV": "local", "INVENTORY_DATA_DIR": str(tmp_path),
                       "INVENTORY_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
                       "INVENTORY_CDC_STREAM_PREFIX": "nostream", "DAGSTER_HOME": str(tmp_path / "dagster_home")}.items():
        monkeypatch.setenv(var, value)
    duckdb.connect(str(tmp_path / "warehouse.duckdb")).close()  # a warehouse without CDC Bronze yet
    settings = load_settings()
    yield settings
    local_endpoint(settings).down()


def stream_up(settings) -> None:
    url = local_endpoint(settings).up()
    names = stream_names(settings)
    ensure_streams(aws_client("kinesis", url), aws_client("dynamodb", url), names, shard_counts(names))


def test_lag_check_passes_and_says_why_when_no_stream_runs(settings):
    check = build_cdc_lag_check(settings)
    assert check.get_spec_for_check_key(next(iter(check.check_keys))).description.startswith("Evaluated only by cdc_lag_sensor")
    with dg.instance_for_test() as instance:
        result = dg.materialize([check], instance=instance, selection=dg.AssetSelection.checks(check))
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.passed
    assert evaluation.description.startswith("no local stream is running (`inventory-platform stream up`")


def test_sensor_records_the_stopped_stream_once_per_change(settings):
    sensor = build_cdc_lag_sensor(settings)
    cursor = None

    def tick() -> list[dg.AssetCheckEvaluation] | None:
        nonlocal cursor
        with dg.instance_for_test() as instance:
            result = sensor(dg.build_sensor_context(instance=instance, cursor=cursor))
        if isinstance(result, dg.SkipReason):
            return None
        cursor = result.cursor
        checks = [e for e in result.asset_events if isinstance(e, dg.AssetCheckEvaluation)]
        assert [(c.asset_key, c.check_name) for c in checks] == [(CDC_EVENTS_KEY, CDC_LAG_CHECK)]
        return checks

    [stopped] = tick()  # first tick after `make dev` starts, before any `stream up`
    assert stopped.passed and stopped.description.startswith("no local stream is running")
    assert tick() is None and tick() is None  # still stopped: nothing new to record
    stream_up(settings)
    [running] = tick()
    assert running.passed and running.metadata["raw_records_waiting"].value == 0
    assert len(tick()) == 1  # a running stream's lag moves: recorded every tick, as before
    local_endpoint(settings).down()
    [stopped_again] = tick()
    assert stopped_again.passed and stopped_again.description == stopped.description
    assert tick() is None
