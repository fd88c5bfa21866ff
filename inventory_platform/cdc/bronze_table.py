"""The CDC tables of Bronze (bronze.cdc_events, bronze.cdc_event_keys, bronze.cdc_checkpoints): their DDL,
the identity of one source change, and the one-time registration of rows loaded before the key table.

A leaf of its own because two writers create the tables: the streaming loader (bronze_loader.py) and
the batch Bronze loader (Silver reads bronze.cdc_events even before anything has streamed), and the
batch side must not import the Kinesis reader to get a CREATE TABLE.
"""

from __future__ import annotations

from pathlib import Path

CDC_EVENTS_DDL = """
create schema if not exists bronze;
create table if not exists bronze.cdc_events (
    stream_name varchar not null,
    shard_id varchar not null,
    sequence_number varchar not null,
    partition_key varchar not null,
    approximate_arrival_timestamp timestamp not null,
    payload varchar not null,
    _loaded_at timestamp not null,
    _batch_id varchar not null,
    primary key (stream_name, shard_id, sequence_number)
);
create table if not exists bronze.cdc_event_keys (
    event_key varchar primary key,
    stream_name varchar not null,
    shard_id varchar not null,
    sequence_number varchar not null
);
create table if not exists bronze.cdc_checkpoints (
    stream_name varchar not null,
    stream_epoch varchar not null,
    shard_id varchar not null,
    sequence_number varchar not null,
    updated_at timestamp not null,
    primary key (stream_name, stream_epoch, shard_id)
);
"""


# The clean stream's partition key is `<table>|<row key>` (streaming.contract.partition_key), so with the
# source's lsn it names one source change: the (table, key, lsn) the handler and Silver deduplicate on.
# A payload without an lsn (none passes today's contract) keeps its stream position as its identity.
EVENT_KEY_SQL = ("coalesce(partition_key || '#' || json_extract_string(payload, '$.source.lsn'), "
                 "'position#' || stream_name || '#' || shard_id || '#' || sequence_number)")


def ensure_cdc_tables(con) -> None:
    con.execute(CDC_EVENTS_DDL)
    unregistered = con.execute("select not exists (select 1 from bronze.cdc_event_keys) "
                               "and exists (select 1 from bronze.cdc_events)").fetchone()[0]
    if unregistered:  # loaded before the key table existed: register each change, drop its later deliveries
        con.execute("begin")
        con.execute(f"""
            create temp table first_deliveries as
            select event_key, stream_name, shard_id, sequence_number from (
                select {EVENT_KEY_SQL} as event_key, stream_name, shard_id, sequence_number,
                       row_number() over (partition by {EVENT_KEY_SQL}
                                          order by approximate_arrival_timestamp, shard_id, length(sequence_number),
                                                   sequence_number) as rank
                from bronze.cdc_events)
            where rank = 1""")
        con.execute("insert into bronze.cdc_event_keys select * from first_deliveries")
        con.execute("""delete from bronze.cdc_events as e where not exists (
            select 1 from first_deliveries as f where (f.stream_name, f.shard_id, f.sequence_number)
                                                       = (e.stream_name, e.shard_id, e.sequence_number))""")
        con.execute("drop table first_deliveries")
        con.execute("commit")


def bronze_totals(duckdb_path: Path) -> tuple[int, str | None] | None:
    """Rows in bronze.cdc_events and its newest load (ISO); (0, None) before the table exists; None while a
    writer holds the warehouse."""
    import duckdb

    from inventory_platform.lib.duckdb_warehouse import connect_duckdb

    try:
        with connect_duckdb(duckdb_path, read_only=True, wait_seconds=5) as con:
            rows, newest = con.execute("select count(*), max(_loaded_at) from bronze.cdc_events").fetchone()
    except duckdb.CatalogException:
        return 0, None
    except (TimeoutError, duckdb.IOException):
        return None
    return rows, newest.isoformat() if newest else None
