"""Reading a Kinesis stream shard by shard from a checkpoint, reusing shard iterators between polls."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

GET_RECORDS_LIMIT = 10_000  # the most one GetRecords call returns


@dataclass(frozen=True)
class ShardBatch:
    shard_id: str
    records: list[dict]
    millis_behind_latest: int


class ShardReader:
    def __init__(self, kinesis, stream_name: str, limit: int = 500) -> None:
        self.kinesis = kinesis
        self.stream_name = stream_name
        self.limit = limit
        self._iterators: dict[str, tuple[str | None, str]] = {}  # shard -> (position it continues after, iterator)
        summary = kinesis.describe_stream_summary(StreamName=stream_name)["StreamDescriptionSummary"]
        self.stream_arn = summary["StreamARN"]
        # Sequence numbers are only meaningful within one incarnation of a stream: a stream deleted
        # and created again under the same name starts over, so checkpoints are kept per epoch.
        self.epoch = summary["StreamCreationTimestamp"].strftime("%Y%m%dT%H%M%S%f")

    def shard_ids(self) -> list[str]:
        shards, token = [], None
        while True:
            page = self.kinesis.list_shards(NextToken=token) if token else self.kinesis.list_shards(StreamName=self.stream_name)
            shards += [s["ShardId"] for s in page["Shards"]]
            token = page.get("NextToken")
            if not token:
                return shards

    def _iterator(self, shard_id: str, after: str | None) -> str:
        cached = self._iterators.get(shard_id)
        if cached and cached[0] == after:
            return cached[1]
        position = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": after} if after
                    else {"ShardIteratorType": "TRIM_HORIZON"})
        return self.kinesis.get_shard_iterator(StreamName=self.stream_name, ShardId=shard_id, **position)["ShardIterator"]

    def read(self, shard_id: str, after: str | None, limit: int | None = None) -> ShardBatch:
        """Records of the shard after the given sequence number (None: from the oldest retained)."""
        response = self.kinesis.get_records(ShardIterator=self._iterator(shard_id, after), Limit=limit or self.limit)
        records = response["Records"]
        last = records[-1]["SequenceNumber"] if records else after
        if response.get("NextShardIterator"):
            self._iterators[shard_id] = (last, response["NextShardIterator"])
        else:
            self._iterators.pop(shard_id, None)
        return ShardBatch(shard_id, records, int(response.get("MillisBehindLatest", 0)))

    def records_after(self, shard_id: str, after: str | None) -> Iterator[dict]:
        """Every record of the shard after `after`, paging until caught up (one GetRecords call returns
        at most 10,000 records)."""
        while True:
            batch = self.read(shard_id, after, limit=GET_RECORDS_LIMIT)
            yield from batch.records
            if batch.records:
                after = batch.records[-1]["SequenceNumber"]
            elif not batch.millis_behind_latest or shard_id not in self._iterators:  # caught up, or shard closed
                return

    def backlog(self, shard_id: str, after: str | None) -> tuple[int, dict | None]:
        """(how many records follow `after` on the shard, exactly; the first of them)."""
        count, first = 0, None
        for record in self.records_after(shard_id, after):
            first = first or record
            count += 1
        return count, first

    def forget(self, shard_id: str) -> None:
        self._iterators.pop(shard_id, None)
