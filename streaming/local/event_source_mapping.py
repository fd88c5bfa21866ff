"""A local event-source mapping: what AWS Lambda's Kinesis trigger does, for the local pipeline and tests.

Per shard, in order: read a batch after the checkpoint, invoke the function with a Lambda Kinesis
event, and advance the checkpoint only past what succeeded. Partial batch failures
(ReportBatchItemFailures) restart from the first failed record; a function error bisects the batch
(BisectBatchOnFunctionError); a batch still failing after the retry budget goes to the on-failure
destination (a JSON-lines file here, an SQS queue in AWS) with its shard and sequence range, and the
mapping moves on. Checkpoints are a JSON file replaced atomically.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from streaming.local.shard_reader import ShardReader

log = logging.getLogger(__name__)


class FileCheckpoints:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._positions: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}

    def get(self, shard_id: str) -> str | None:
        return self._positions.get(shard_id)

    def set(self, shard_id: str, sequence_number: str) -> None:
        self._positions[shard_id] = sequence_number
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._positions))
        os.replace(tmp, self.path)


def lambda_event(records: list[dict], shard_id: str, stream_arn: str) -> dict:
    return {"Records": [{
        "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventName": "aws:kinesis:record",
        "eventID": f"{shard_id}:{r['SequenceNumber']}", "eventSourceARN": stream_arn, "awsRegion": "us-east-1",
        "invokeIdentityArn": "arn:aws:iam::000000000000:role/local-event-source-mapping",
        "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": r["PartitionKey"],
                    "sequenceNumber": r["SequenceNumber"], "data": base64.b64encode(r["Data"]).decode(),
                    "approximateArrivalTimestamp": r["ApproximateArrivalTimestamp"].timestamp()},
    } for r in records]}


@dataclass
class MappingStats:
    records: int = 0
    invocations: int = 0
    retries: int = 0
    sent_to_failure_destination: int = 0
    millis_behind_latest: int = 0


class EventSourceMapping:
    def __init__(self, reader: ShardReader, function: Callable[[dict], dict], checkpoints: FileCheckpoints,
                 failure_destination: Path, max_retries: int = 5, retry_delay_s: float = 0.1) -> None:
        self.reader = reader
        self.function = function
        self.checkpoints = checkpoints
        self.failure_destination = failure_destination
        self.max_retries = max_retries
        self.retry_delay_s = retry_delay_s
        self.stats = MappingStats()

    def poll(self) -> int:
        """One pass over every shard; returns how many records were read."""
        read = 0
        behind = 0
        for shard_id in self.reader.shard_ids():
            batch = self.reader.read(shard_id, self.checkpoints.get(shard_id))
            behind = max(behind, batch.millis_behind_latest)
            if batch.records:
                read += len(batch.records)
                self.stats.records += len(batch.records)
                self._deliver(shard_id, batch.records)
        self.stats.millis_behind_latest = behind
        return read

    def _deliver(self, shard_id: str, records: list[dict], attempt: int = 0) -> None:
        pending = records
        while pending:
            self.stats.invocations += 1
            try:
                response = self.function(lambda_event(pending, shard_id, self.reader.stream_arn)) or {}
            except Exception as exc:  # a function error: bisect, then retry what still fails
                log.warning("function error on %s records of shard %s: %s", len(pending), shard_id, exc)
                if len(pending) > 1:
                    half = len(pending) // 2
                    self._deliver(shard_id, pending[:half], attempt + 1)
                    self._deliver(shard_id, pending[half:], attempt + 1)
                    return
                attempt += 1
                if attempt > self.max_retries:
                    self._give_up(shard_id, pending, f"function error: {exc}")
                    return
                self.stats.retries += 1
                time.sleep(self.retry_delay_s)
                continue
            failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
            if not failed:
                self._advance(shard_id, pending[-1])
                return
            first = next(i for i, r in enumerate(pending) if r["SequenceNumber"] in failed)
            if first:
                self._advance(shard_id, pending[first - 1])
            attempt += 1
            if attempt > self.max_retries:
                self._give_up(shard_id, pending[first:], f"{len(failed)} records reported as failed")
                return
            self.stats.retries += 1
            pending = pending[first:]
            time.sleep(self.retry_delay_s)

    def _advance(self, shard_id: str, record: dict) -> None:
        self.checkpoints.set(shard_id, record["SequenceNumber"])

    def _give_up(self, shard_id: str, records: list[dict], reason: str) -> None:
        self.failure_destination.parent.mkdir(parents=True, exist_ok=True)
        with self.failure_destination.open("a") as out:
            out.write(json.dumps({"stream_arn": self.reader.stream_arn, "shard_id": shard_id, "reason": reason,
                                  "start_sequence_number": records[0]["SequenceNumber"],
                                  "end_sequence_number": records[-1]["SequenceNumber"], "batch_size": len(records),
                                  "at_ms": int(time.time() * 1000)}) + "\n")
        self.stats.sent_to_failure_destination += len(records)
        self._advance(shard_id, records[-1])
        self.reader.forget(shard_id)


def mapping_checkpoint_file(state_dir: Path, reader: ShardReader) -> Path:
    """Where the mapping from `reader`'s stream keeps its checkpoints (FileCheckpoints)."""
    return state_dir / f"esm-{reader.stream_name}-{reader.epoch}.json"
