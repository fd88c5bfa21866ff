"""`stream status` against a real local endpoint (moto server): records waiting and dead letters are
counted exactly, also past the 10,000 records one GetRecords call returns."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import duckdb

from inventory_platform.cdc.bronze_table import ensure_cdc_tables
from streaming.kinesis_io import put_records
from streaming.local.local_endpoint import LocalEndpoint, StreamNames, aws_client, ensure_streams


def test_status_counts_more_than_ten_thousand_records_a_shard_exactly(tmp_path):
    endpoint = LocalEndpoint(tmp_path / "endpoint")
    url = endpoint.up()
    try:
        names = StreamNames.from_prefix("status")
        kinesis = aws_client("kinesis", url)
        ensure_streams(kinesis, aws_client("dynamodb", url), names, {names.raw: 2, names.clean: 2, names.dlq: 1})
        db = tmp_path / "warehouse.duckdb"
        with duckdb.connect(str(db)) as con:
            ensure_cdc_tables(con)
        # One partition key: every record on one shard of the raw stream.
        assert not put_records(kinesis, names.raw, [(b'{"n": %d}' % i, "one-row") for i in range(12_345)])
        assert not put_records(kinesis, names.clean, [(b'{"n": %d}' % i, f"row-{i}") for i in range(1_234)])
        assert not put_records(kinesis, names.dlq, [(b'{"reason": "bad"}', f"row-{i}") for i in range(10_005)])

        env = {**os.environ, "INVENTORY_ENV": "local", "AWS_ENDPOINT_URL": url, "INVENTORY_DATA_DIR": str(tmp_path),
               "INVENTORY_DUCKDB_PATH": str(db), "INVENTORY_CDC_STREAM_PREFIX": "status"}
        status = json.loads(subprocess.run([sys.executable, "-m", "inventory_platform.cli", "stream", "status", "--json"],
                                           env=env, check=True, capture_output=True, text=True).stdout)
    finally:
        endpoint.down()
    assert (status["raw_unprocessed"], status["clean_unloaded"], status["dead_letters"]) == (12_345, 1_234, 10_005)
    assert status["raw_lag_seconds"] > 0 and status["bronze_events"] == 0
