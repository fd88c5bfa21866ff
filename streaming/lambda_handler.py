"""AWS Lambda handler for the raw CDC stream (handler: streaming.lambda_handler.handler).

Per batch of Kinesis records: decode, validate and standardize each event against the contract,
drop duplicates (event id and (table, key, lsn), within the batch and across batches via the dedup
table), forward good events to the clean stream and bad ones, with the reason, to the dead-letter
stream. A bad record is dead-lettered once: its raw stream position is remembered in the dedup table
too, so a replay of the raw stream does not dead-letter it again. Transient failures (records Kinesis
refused) are reported as partial batch failures, so the event-source mapping retries from the first of
them; already forwarded events are skipped as duplicates on that retry. Anything else raises, and the mapping retries or bisects the batch.

Configuration (environment): CLEAN_STREAM_NAME, DLQ_STREAM_NAME, DEDUP_TABLE_NAME, DEDUP_TTL_DAYS.
Locally, AWS_ENDPOINT_URL points boto3 at the moto server; in AWS it is unset.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from functools import lru_cache

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import KinesisStreamEvent
from pydantic import ValidationError

from streaming.contract import MAX_EVENT_BYTES, parse_event_json, partition_key
from streaming.dedup import DedupStore, DynamoDBDedupStore
from streaming.kinesis_io import put_records

logger = Logger(service="cdc-processor")
DLQ_PAYLOAD_LIMIT = 512 * 1024  # the dead-letter record must itself fit in a Kinesis record


@dataclass
class Runtime:
    kinesis: object
    dedup: DedupStore
    clean_stream: str
    dlq_stream: str


@dataclass
class BatchOutcome:
    forwarded: int = 0
    dead_lettered: int = 0
    duplicates: int = 0
    failed_sequence_numbers: list[str] = field(default_factory=list)

    def response(self) -> dict:
        return {"batchItemFailures": [{"itemIdentifier": s} for s in self.failed_sequence_numbers]}


def describe_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}" for e in exc.errors())
    return str(exc)


def dead_letter_key(record) -> str:
    """A raw record's identity: its stream and position (eventID is `<shard id>:<sequence number>`). Not
    its bytes: two identical bad records at two positions are two deliveries, each dead-lettered once."""
    return f"dead-letter#{record.event_source_arn}#{record.event_id}"


def _dead_letter(record, data: bytes, reason: str) -> tuple[bytes, str]:
    body = {
        "reason": reason,
        "raw_shard_sequence_number": record.kinesis.sequence_number,
        "raw_partition_key": record.kinesis.partition_key,
        "raw_event_source_arn": record.event_source_arn,
        "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "dead_lettered_at_ms": int(time.time() * 1000),
        # Oversized payloads are cut; the raw stream keeps the whole record for its retention period.
        "payload_b64": base64.b64encode(data[:DLQ_PAYLOAD_LIMIT]).decode(),
        "payload_truncated": len(data) > DLQ_PAYLOAD_LIMIT,
    }
    return json.dumps(body).encode(), record.kinesis.partition_key


def process_records(records, runtime: Runtime) -> BatchOutcome:
    outcome = BatchOutcome()
    clean: list[tuple[bytes, str]] = []
    clean_seq: list[str] = []
    clean_keys: list[str] = []
    dead: list[tuple[bytes, str]] = []
    dead_seq: list[str] = []
    dead_keys: list[str] = []
    batch_ids: set[str] = set()
    batch_keys: set[str] = set()
    for record in records:
        data = record.kinesis.data_as_bytes()
        sequence_number = record.kinesis.sequence_number
        if len(data) > MAX_EVENT_BYTES:
            reason = f"oversized: {len(data)} bytes exceeds {MAX_EVENT_BYTES}"
        else:
            try:
                event = parse_event_json(data)
                reason = None
            except ValidationError as exc:
                reason = f"invalid event: {describe_error(exc)}"
        if reason is not None:
            dead.append(_dead_letter(record, data, reason))
            dead_seq.append(sequence_number)
            dead_keys.append(dead_letter_key(record))
            continue
        dedup_key = event.dedup_key()
        if event.event_id in batch_ids or dedup_key in batch_keys:
            outcome.duplicates += 1
            continue
        batch_ids.add(event.event_id)
        batch_keys.add(dedup_key)
        clean.append((event.model_dump_json(exclude_none=True).encode(), partition_key(event.source.table, event.key())))
        clean_seq.append(sequence_number)
        clean_keys.append(dedup_key)

    already = runtime.dedup.seen(clean_keys + dead_keys)
    if already:
        keep = [i for i, k in enumerate(clean_keys) if k not in already]
        keep_dead = [i for i, k in enumerate(dead_keys) if k not in already]
        outcome.duplicates += len(clean_keys) - len(keep) + len(dead_keys) - len(keep_dead)
        clean, clean_seq, clean_keys = ([xs[i] for i in keep] for xs in (clean, clean_seq, clean_keys))
        dead, dead_seq, dead_keys = ([xs[i] for i in keep_dead] for xs in (dead, dead_seq, dead_keys))

    failed_clean = set(put_records(runtime.kinesis, runtime.clean_stream, clean))
    failed_dead = set(put_records(runtime.kinesis, runtime.dlq_stream, dead))
    runtime.dedup.remember([*(k for i, k in enumerate(clean_keys) if i not in failed_clean),
                            *(k for i, k in enumerate(dead_keys) if i not in failed_dead)])
    outcome.forwarded = len(clean) - len(failed_clean)
    outcome.dead_lettered = len(dead) - len(failed_dead)
    outcome.failed_sequence_numbers = [clean_seq[i] for i in sorted(failed_clean)] + [dead_seq[i] for i in sorted(failed_dead)]
    return outcome


@lru_cache(maxsize=1)
def runtime_from_environment() -> Runtime:
    return Runtime(
        kinesis=boto3.client("kinesis"),
        dedup=DynamoDBDedupStore(boto3.client("dynamodb"), os.environ["DEDUP_TABLE_NAME"],
                                 int(os.environ.get("DEDUP_TTL_DAYS", "8"))),
        clean_stream=os.environ["CLEAN_STREAM_NAME"],
        dlq_stream=os.environ["DLQ_STREAM_NAME"],
    )


def handle(event: dict, runtime: Runtime) -> dict:
    outcome = process_records(KinesisStreamEvent(event).records, runtime)
    logger.info("batch processed", extra={"records": len(event.get("Records", [])), "forwarded": outcome.forwarded,
                                          "dead_lettered": outcome.dead_lettered, "duplicates": outcome.duplicates,
                                          "failed": len(outcome.failed_sequence_numbers)})
    return outcome.response()


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    return handle(event, runtime_from_environment())
