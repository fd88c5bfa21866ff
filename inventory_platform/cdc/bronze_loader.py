"""Appends the clean CDC stream to the local Bronze table, each source change exactly once.

bronze.cdc_events has the columns of the Redshift streaming-ingestion materialized view (shard,
sequence number, partition key, arrival time, payload) so Silver reads the same shape on both engines.
Records and the per-shard checkpoint are written in one DuckDB transaction: a crash before COMMIT
leaves neither, a crash after leaves both, and a restart resumes after the committed checkpoint.

That makes each clean-stream position load once, but one change can sit at two positions: the
handler forwards a batch and is killed before the event-source mapping checkpoints it, so the retry
forwards it again (Lambda does the same after a timeout). bronze.cdc_event_keys therefore holds each
change's identity, (table, row key, lsn), as the handler's dedup store and Silver define it; a record
whose identity is already there is skipped in the same transaction, so a later delivery is not loaded.
The connection is opened per flush and closed again, so the writer lock is held only briefly: while a
refresh holds the warehouse (seconds), the loader keeps reading the stream outside the lock, and commits
all it read as soon as it gets in.
"""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa

from inventory_platform.cdc.bronze_table import EVENT_KEY_SQL, ensure_cdc_tables
from streaming.local.shard_reader import ShardReader

# While the warehouse is held, how long each wait for it lasts before the loader reads the stream again.
READ_WHILE_WAITING_S = 0.25


@dataclass
class LoaderStats:
    loaded: int = 0
    redeliveries_skipped: int = 0
    flushes: int = 0
    millis_behind_latest: int = 0


class BronzeCdcLoader:
    def __init__(self, reader: ShardReader, connect, max_records: int = 10_000) -> None:
        """`connect(timeout_s=None)` is a context manager yielding a write connection: it waits for the writer
        lock for ever, or timeout_s and then raises TimeoutError."""
        self.reader = reader
        self.connect = connect
        self.max_records = max_records
        self.stats = LoaderStats()
        with connect() as con:
            ensure_cdc_tables(con)
            self.checkpoints = dict(con.execute(
                "select shard_id, sequence_number from bronze.cdc_checkpoints where stream_name = ? and stream_epoch = ?",
                [reader.stream_name, reader.epoch]).fetchall())

    def poll(self) -> int:
        """Read what is new on every shard and commit it with the checkpoints; returns records read."""
        batches = self._read(self.checkpoints)
        if not batches:
            return 0
        try:
            with ExitStack() as turn:
                con = self._warehouse(turn, batches)
                positions = _last_positions(batches)
                rows = self._rows(batches)
                loaded = self._commit(con, rows, positions)
        except BaseException:
            for shard in {b.shard_id for b in batches}:  # the iterators moved past what was not committed
                self.reader.forget(shard)
            raise
        self.checkpoints.update(positions)
        self.stats.loaded += loaded
        self.stats.redeliveries_skipped += len(rows) - loaded
        self.stats.flushes += 1
        return len(rows)

    def _warehouse(self, turn: ExitStack, batches: list):
        """A write connection, entered on `turn`. While a refresh holds the warehouse, what reaches the stream
        meanwhile is read into `batches` outside the lock, so it goes into this commit rather than waiting for
        the next refresh to end, and the commit holds the lock only to write; once in, one last read takes
        what arrived since the read before."""
        waited = False
        while True:
            try:
                con = turn.enter_context(self.connect(timeout_s=READ_WHILE_WAITING_S))
                break
            except TimeoutError:
                waited = True
                batches += self._read({**self.checkpoints, **_last_positions(batches)})
        if waited:
            batches += self._read({**self.checkpoints, **_last_positions(batches)})
        return con

    def _read(self, after: dict[str, str]) -> list:
        """One read of every shard after the given positions; the batches that hold records."""
        batches, behind = [], 0
        for shard_id in self.reader.shard_ids():
            batch = self.reader.read(shard_id, after.get(shard_id), limit=self.max_records)
            behind = max(behind, batch.millis_behind_latest)
            if batch.records:
                batches.append(batch)
        self.stats.millis_behind_latest = behind
        return batches

    def _rows(self, batches: list) -> list[tuple]:
        loaded_at = datetime.now(UTC).replace(tzinfo=None)
        batch_id = str(uuid.uuid4())
        return [(self.reader.stream_name, b.shard_id, r["SequenceNumber"], r["PartitionKey"],
                 r["ApproximateArrivalTimestamp"].astimezone(UTC).replace(tzinfo=None),
                 r["Data"].decode("utf-8"), loaded_at, batch_id)
                for b in batches for r in b.records]

    def _commit(self, con, rows: list[tuple], positions: dict[str, str]) -> int:
        """Append the first delivery of each change not held yet, with the checkpoints, in one transaction;
        returns the rows loaded."""
        table = pa.Table.from_arrays([pa.array(c) for c in zip(*rows, strict=True)], names=[
            "stream_name", "shard_id", "sequence_number", "partition_key", "approximate_arrival_timestamp",
            "payload", "_loaded_at", "_batch_id"])
        loaded_at = rows[0][6]
        con.execute("begin")
        con.register("incoming", table)
        # The first delivery of each change not held yet; a re-read position is held already.
        con.execute(f"""
            create temp table fresh as
            select * exclude (event_key, rank) from (
                select *, {EVENT_KEY_SQL} as event_key,
                       row_number() over (partition by {EVENT_KEY_SQL}
                                      order by shard_id, length(sequence_number), sequence_number) as rank
                from incoming) as i
            where rank = 1 and not exists (select 1 from bronze.cdc_event_keys as k where k.event_key = i.event_key)""")
        con.execute("insert into bronze.cdc_events select * from fresh")
        con.execute(f"insert into bronze.cdc_event_keys select {EVENT_KEY_SQL}, stream_name, shard_id, "
                    "sequence_number from fresh")
        loaded = con.execute("select count(*) from fresh").fetchone()[0]
        con.execute("drop table fresh")
        con.executemany(
            "insert or replace into bronze.cdc_checkpoints values (?, ?, ?, ?, ?)",
            [(self.reader.stream_name, self.reader.epoch, shard, seq, loaded_at) for shard, seq in positions.items()])
        con.execute("commit")
        return loaded


def _last_positions(batches: list) -> dict[str, str]:
    """The last sequence number read per shard (batches in reading order)."""
    return {b.shard_id: b.records[-1]["SequenceNumber"] for b in batches}
