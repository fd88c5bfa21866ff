"""The CDC path against a real local Kinesis/DynamoDB endpoint (moto server) and a real DuckDB warehouse:
exactly-once under replays and crashes, dead-lettering with reasons, and Silver ending in the source's state."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import dagster as dg
import duckdb
import pytest

from inventory_platform.cdc.assets import CDC_CONSERVATION_CHECK, build_cdc_conservation_check
from inventory_platform.cdc.conservation import read_conservation
from inventory_platform.cdc.local_pipeline import poll_until_idle
from inventory_platform.cdc.sensors import build_cdc_bronze_sensor
from inventory_platform.lib.duckdb_warehouse import connect_duckdb
from inventory_platform.settings import load_settings
from streaming.local.event_source_mapping import mapping_checkpoint_file
from streaming.local.local_endpoint import aws_client, ensure_streams
from streaming.local.producer import Faults, produce
from streaming.local.shard_reader import ShardReader

from ..support.cdc import assert_silver_is_truth, silver_state
from ..support.cdc_fixtures import endpoint, lab, silver_db  # noqa: F401 (pytest fixtures)


def bronze_count(db) -> int:
    with connect_duckdb(db, read_only=True) as con:  # waits while the loader holds the file
        return con.execute("select count(*) from bronze.cdc_events").fetchone()[0]


def test_replaying_the_stream_twice_gives_identical_silver(lab):
    """With the dedup table production uses (DynamoDB, here on the local endpoint)."""
    source = lab.source(out_of_order_rate=0.3, late_rate=0.05)
    stats = produce(lab.kinesis, lab.names.raw, source, 2_500, faults=Faults(duplicate=0.1))
    assert stats.duplicates > 100
    poll_until_idle(lab.pipeline(dedup="dynamodb"))
    assert bronze_count(lab.db) == stats.source_events  # every redelivery dropped by the handler
    lab.refresh_silver("build")  # every model and dbt test, CDC rows included
    first = silver_state(lab.db)
    assert_silver_is_truth(lab.db, source.truth())

    # Replay the raw stream from its start: the handler drops everything it forwarded before.
    replay = lab.pipeline(dedup="dynamodb")
    mapping_checkpoint_file(lab.root / "streaming", replay.mapping.reader).unlink()
    replay = lab.pipeline(dedup="dynamodb")
    poll_until_idle(replay)
    assert replay.mapping.stats.records == stats.put and replay.loader.stats.loaded == 0

    # Replay it again with the dedup table lost: every event reaches the clean stream a second time,
    # under new stream positions, and Bronze skips each as a change it already holds.
    dynamodb = aws_client("dynamodb", lab.url)
    dynamodb.delete_table(TableName=lab.names.dedup_table)
    ensure_streams(lab.kinesis, dynamodb, lab.names, {})
    mapping_checkpoint_file(lab.root / "streaming", replay.mapping.reader).unlink()
    redelivered = lab.pipeline(dedup="dynamodb")
    poll_until_idle(redelivered)
    assert redelivered.loader.stats.redeliveries_skipped == stats.source_events
    assert bronze_count(lab.db) == stats.source_events

    # Re-read the clean stream from its start: positions already loaded are not loaded again.
    con = duckdb.connect(str(lab.db))
    con.execute("delete from bronze.cdc_checkpoints")
    con.close()
    poll_until_idle(lab.pipeline())
    assert bronze_count(lab.db) == stats.source_events
    lab.refresh_silver()
    assert silver_state(lab.db) == first


def stream_env(lab) -> dict[str, str]:
    return {**os.environ, "AWS_ENDPOINT_URL": lab.url, "INVENTORY_DATA_DIR": str(lab.root),
            "INVENTORY_DUCKDB_PATH": str(lab.db), "INVENTORY_CDC_STREAM_PREFIX": lab.names.raw.removesuffix("-raw")}


def kill_after_forward_before_remembering(proc, clean: ShardReader, dedup_file, deadline: float) -> None:
    """SIGKILL the runner after the handler forwarded a batch to the clean stream and before it recorded
    that in its dedup store: the test holds the store's write lock (reads go on, in WAL mode), so the
    handler forwards its next batch and then waits; once the clean stream grows, the kill lands there."""
    positions = {s: max((r["SequenceNumber"] for r in clean.records_after(s, None)), key=int, default=None)
                 for s in clean.shard_ids()}
    blocker = sqlite3.connect(dedup_file, isolation_level=None)
    try:
        blocker.execute("begin immediate")
        while time.monotonic() < deadline and not any(clean.read(s, after).records for s, after in positions.items()):
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        blocker.close()


def test_stream_run_killed_with_sigkill_three_times_holds_each_event_once(lab, capsys):
    """SIGKILL while the handler forwards batches and the loader commits them, twice at seeded points
    and once between a forward and the handler recording it (a window of milliseconds, held open here):
    that batch is forwarded again after the restart, and Bronze, `stream status` and the sensor must
    still hold and count each change once."""
    source = lab.source(out_of_order_rate=0.2, late_rate=0.02)
    stats = produce(lab.kinesis, lab.names.raw, source, 12_000, faults=Faults(duplicate=0.05))
    raw, clean = ShardReader(lab.kinesis, lab.names.raw), ShardReader(lab.kinesis, lab.names.clean)
    last = {s: max(int(r["SequenceNumber"]) for r in raw.records_after(s, None)) for s in raw.shard_ids()}
    checkpoints = mapping_checkpoint_file(lab.root / "streaming", raw)
    env = stream_env(lab)
    command = [sys.executable, "-m", "inventory_platform.cli", "stream", "run"]
    rng = random.Random(15)
    dedup_file = lab.root / "streaming" / f"dedup-{lab.names.dedup_table}.sqlite"
    for kill in ("seeded", "between forward and record", "seeded"):
        before = checkpoints.read_text() if checkpoints.exists() else ""
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while (not checkpoints.exists() or checkpoints.read_text() == before) and time.monotonic() < deadline:
            time.sleep(0.01)  # until this run has handled a batch
        if kill == "seeded":
            time.sleep(rng.uniform(0.0, 0.4))  # then within its next few batches
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        else:
            kill_after_forward_before_remembering(proc, clean, dedup_file, deadline)
        handled = json.loads(checkpoints.read_text())
        assert any(int(handled.get(s, 0)) < seq for s, seq in last.items()), f"{kill}: killed after the raw stream drained"
    subprocess.run([*command, "--until-idle"], env=env, check=True, capture_output=True, timeout=300)

    con = duckdb.connect(str(lab.db), read_only=True)
    rows, events, positions = con.execute("""
        select count(*), count(distinct partition_key || '#' || json_extract_string(payload, '$.source.lsn')),
               count(distinct shard_id || sequence_number)
        from bronze.cdc_events""").fetchone()
    con.close()
    with capsys.disabled():  # the figures belong in the test output (docs/reliability.md records them)
        print(f"\nkilled stream runs: 3 SIGKILLs mid-stream, then a run until idle: {stats.source_events:,} source "
              f"events ({stats.put:,} raw records with duplicates), Bronze {rows:,} rows, {events:,} distinct events, "
              f"{positions:,} distinct positions")
    assert (rows, events, positions) == (stats.source_events,) * 3, "Bronze must hold every event once"
    status = json.loads(subprocess.run([sys.executable, "-m", "inventory_platform.cli", "stream", "status", "--json"],
                                       env=env, check=True, capture_output=True, text=True).stdout)
    assert status["bronze_events"] == stats.source_events
    with pytest.MonkeyPatch.context() as mp:
        for var, value in {**env, "INVENTORY_ENV": "local"}.items():
            mp.setenv(var, value)
        sensor = build_cdc_bronze_sensor(load_settings())
        conservation = read_conservation(load_settings())
    result = sensor(dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral()))
    assert result.asset_events[0].metadata["dagster/row_count"].value == stats.source_events
    assert conservation.holds, conservation.summary()
    assert (conservation.total("read"), conservation.total("clean")) == (stats.put, stats.source_events)
    lab.refresh_silver()
    assert_silver_is_truth(lab.db, source.truth())


def test_malformed_and_oversized_events_go_to_the_dead_letter_stream_with_a_reason(lab):
    source = lab.source()
    stats = produce(lab.kinesis, lab.names.raw, source, 1_500, faults=Faults(malformed=0.03, oversized=0.02))
    assert stats.malformed and stats.oversized
    poll_until_idle(lab.pipeline())
    letters = [json.loads(d) for d in lab.dead_letters()]
    reasons = [d["reason"] for d in letters]
    assert len(letters) == stats.malformed + stats.oversized
    assert sum(r.startswith("oversized: ") for r in reasons) == stats.oversized
    assert sum(r.startswith("invalid event: ") for r in reasons) == stats.malformed
    assert all(d["raw_shard_sequence_number"] and d["sha256"] for d in letters)
    assert any("movement_type" in r for r in reasons) and any("op: Field required" in r for r in reasons)
    assert bronze_count(lab.db) == stats.source_events  # the rest flowed
    lab.refresh_silver()
    assert_silver_is_truth(lab.db, source.truth())


def test_out_of_order_updates_and_deletes_end_in_the_source_state(lab):
    source = lab.source(seed=9, out_of_order_rate=1.0)
    produce(lab.kinesis, lab.names.raw, source, 3_000)
    poll_until_idle(lab.pipeline())
    con = duckdb.connect(str(lab.db), read_only=True)
    swapped = con.execute("""
        with changes as (
            select json_extract_string(payload, '$.after.transaction_id') as tid,
                   cast(json_extract_string(payload, '$.source.lsn') as bigint) as lsn,
                   row_number() over (partition by shard_id order by cast(sequence_number as hugeint)) as pos
            from bronze.cdc_events
            where json_extract_string(payload, '$.source.table') = 'inventory_transactions'
              and json_extract_string(payload, '$.op') = 'u')
        select count(*) from changes a join changes b on a.tid = b.tid and a.lsn < b.lsn and a.pos > b.pos
    """).fetchone()[0]
    ops = dict(con.execute("select json_extract_string(payload, '$.op'), count(*) from bronze.cdc_events group by 1").fetchall())
    con.close()
    assert swapped > 20, "the stream should deliver later updates of a row before earlier ones"
    assert ops.get("d", 0) > 20 and ops.get("u", 0) > 100
    lab.refresh_silver()
    assert_silver_is_truth(lab.db, source.truth())


def test_conservation_check_accounts_for_every_raw_record_and_names_lost_ones(lab, monkeypatch):
    source = lab.source(seed=13)
    stats = produce(lab.kinesis, lab.names.raw, source, 2_000,
                    faults=Faults(duplicate=0.05, malformed=0.02, oversized=0.01))
    pipeline = lab.pipeline()
    poll_until_idle(pipeline)
    for var, value in {**stream_env(lab), "INVENTORY_ENV": "local"}.items():
        monkeypatch.setenv(var, value)
    check = build_cdc_conservation_check(load_settings())

    assert [k.name for k in check.check_keys] == [CDC_CONSERVATION_CHECK]
    result = check()
    assert result.passed, result.description
    figures = {k: v.value for k, v in result.metadata.items() if isinstance(v.value, int)}
    assert figures == {"read": stats.put, "clean": stats.source_events, "dead_lettered": stats.malformed + stats.oversized,
                       "deduplicated": stats.duplicates, "in_flight": 0, "failure_destination": 0, "missing": 0,
                       "not_read_yet": 0}

    # Records on the clean stream not loaded yet are in flight, not missing.
    produce(lab.kinesis, lab.names.raw, source, 50)
    poll_until_idle(pipeline.mapping)
    result = check()
    assert result.passed and result.metadata["in_flight"].value >= 50, result.description

    # A change that vanished from Bronze (as a bug would lose it) fails the check, by name.
    poll_until_idle(pipeline.loader)
    con = duckdb.connect(str(lab.db))
    lost = [k for (k,) in con.execute("select event_key from bronze.cdc_event_keys order by event_key limit 3").fetchall()]
    con.execute("delete from bronze.cdc_events where (shard_id, sequence_number) in "
                "(select (shard_id, sequence_number) from bronze.cdc_event_keys where event_key in (?, ?, ?))", lost)
    con.execute("delete from bronze.cdc_event_keys where event_key in (?, ?, ?)", lost)
    con.close()
    result = check()
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    assert result.metadata["missing"].value >= 3 and "MISSING" in result.description
    assert lost[0] in result.description


def test_a_load_kept_waiting_for_the_warehouse_commits_what_arrived_meanwhile(lab):
    """While a refresh holds the warehouse, the loader waits with what it read and goes on reading the clean stream
    outside the lock; what arrived meanwhile goes into the same commit, not into one after the next refresh."""
    from inventory_platform.lib.writer_lock import exclusive_writer

    pipe = lab.pipeline()
    # queue on the warehouse lock, as `stream run` does
    pipe.loader.connect = lambda timeout_s=None: connect_duckdb(lab.db, writer_wait_s=timeout_s)
    read, reads_while_held, held = pipe.loader._read, [], threading.Event()

    def reading(after):
        batches = read(after)
        if held.is_set():
            reads_while_held.append(sum(len(b.records) for b in batches))
        return batches

    pipe.loader._read = reading
    source = lab.source()
    first = produce(lab.kinesis, lab.names.raw, source, 300).source_events
    poll_until_idle(pipe.mapping)
    before = bronze_count(lab.db)
    with exclusive_writer(lab.db):  # a refresh writing
        held.set()
        loading = threading.Thread(target=pipe.loader.poll)
        loading.start()
        time.sleep(1.0)  # the loader has read the first records and waits for the warehouse
        meanwhile = produce(lab.kinesis, lab.names.raw, source, 300).source_events
        poll_until_idle(pipe.mapping)
        time.sleep(1.0)
        held.clear()
    loading.join(timeout=60)
    assert pipe.loader.stats.flushes == 1
    assert pipe.loader.stats.loaded == first + meanwhile == bronze_count(lab.db) - before
    # the first read, then what arrived meanwhile: read outside the lock, before it was free
    assert reads_while_held[0] == first and sum(reads_while_held[1:]) == meanwhile
