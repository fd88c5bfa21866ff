"""Writing to Kinesis in batches, with the records the service refused retried and then reported.

boto3 reads AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_KINESIS): set it to the local moto server and the
same calls run locally; leave it unset and they reach AWS.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

PUT_RECORDS_LIMIT = 500
PUT_RECORDS_BYTES = 5 * 1024 * 1024


def _chunks(records: Sequence[tuple[bytes, str]]):
    start, size = 0, 0
    for i, (data, key) in enumerate(records):
        record_size = len(data) + len(key.encode())
        if i > start and (i - start == PUT_RECORDS_LIMIT or size + record_size > PUT_RECORDS_BYTES):
            yield start, i
            start, size = i, 0
        size += record_size
    if start < len(records):
        yield start, len(records)


def put_records(client, stream_name: str, records: Sequence[tuple[bytes, str]], max_attempts: int = 5) -> list[int]:
    """Put (data, partition key) records in order; returns the indexes still refused after retries."""
    failed: list[int] = []
    for start, end in _chunks(records):
        pending = list(range(start, end))
        for attempt in range(max_attempts):
            response = client.put_records(StreamName=stream_name, Records=[
                {"Data": records[i][0], "PartitionKey": records[i][1]} for i in pending])
            if not response.get("FailedRecordCount"):
                pending = []
                break
            pending = [i for i, r in zip(pending, response["Records"], strict=True) if "ErrorCode" in r]
            time.sleep(min(0.05 * 2 ** attempt, 1.0))
        failed.extend(pending)
    return failed
