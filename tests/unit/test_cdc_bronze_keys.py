"""A Bronze CDC table loaded before bronze.cdc_event_keys existed: its changes are registered and the
later deliveries of a change dropped, so the loader's identity check starts from a correct set."""

from __future__ import annotations

import json

import duckdb

from inventory_platform.cdc.bronze_table import ensure_cdc_tables

OLD_DDL = """
create schema bronze;
create table bronze.cdc_events (
    stream_name varchar not null, shard_id varchar not null, sequence_number varchar not null,
    partition_key varchar not null, approximate_arrival_timestamp timestamp not null, payload varchar not null,
    _loaded_at timestamp not null, _batch_id varchar not null, primary key (stream_name, shard_id, sequence_number))"""


def row(seq: int, key: str, lsn: int, arrival: str) -> tuple:
    payload = json.dumps({"event_id": f"e{seq}", "op": "c", "source": {"table": "stock_levels", "lsn": lsn}})
    return ("clean", "shardId-0", str(seq), f"stock_levels|{key}", arrival, payload, arrival, "b")


def test_existing_bronze_is_registered_and_its_redeliveries_dropped(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(OLD_DDL)
    con.executemany("insert into bronze.cdc_events values (?, ?, ?, ?, ?, ?, ?, ?)", [
        row(1, "W1|S1", 10, "2026-01-01 00:00:01"),
        row(2, "W1|S1", 11, "2026-01-01 00:00:02"),
        row(3, "W1|S1", 10, "2026-01-01 00:00:03"),  # the batch forwarded again after a crash
        row(4, "W2|S1", 10, "2026-01-01 00:00:04"),  # same lsn, another row: another change
    ])
    ensure_cdc_tables(con)
    ensure_cdc_tables(con)  # idempotent
    assert [r[0] for r in con.execute("select sequence_number from bronze.cdc_events order by 1").fetchall()] == ["1", "2", "4"]
    assert con.execute("select event_key, sequence_number from bronze.cdc_event_keys order by 2").fetchall() == [
        ("stock_levels|W1|S1#10", "1"), ("stock_levels|W1|S1#11", "2"), ("stock_levels|W2|S1#10", "4")]
