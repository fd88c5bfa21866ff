"""Idempotency for the CDC handler: remembers which source changes were already forwarded.

The key is (table, key, lsn): every redelivery of a change, whatever its event id, carries the same
source position. Dead-lettered records are remembered too, by raw stream position
(lambda_handler.dead_letter_key), so that a replay does not dead-letter them again. Kinesis routes one
row's changes to one shard and the event-source mapping runs one batch per shard at a time, so a
read-then-write per batch cannot race with itself on a key.
"""

from __future__ import annotations

import sqlite3
import time
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

DYNAMODB_GET_LIMIT = 100
DYNAMODB_WRITE_LIMIT = 25


class DedupStore(Protocol):
    def seen(self, keys: Iterable[str]) -> set[str]: ...
    def remember(self, keys: Iterable[str]) -> None: ...


class InMemoryDedupStore:
    """Bounded LRU: for the local benchmark and unit tests, never for production (lost on restart)."""

    def __init__(self, capacity: int = 5_000_000) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def seen(self, keys: Iterable[str]) -> set[str]:
        return {k for k in keys if k in self._keys}

    def remember(self, keys: Iterable[str]) -> None:
        for k in keys:
            self._keys[k] = None
        while len(self._keys) > self._capacity:
            self._keys.popitem(last=False)


class SqliteDedupStore:
    """A durable store in one local file: the local pipeline's stand-in for the DynamoDB table (the moto
    server's DynamoDB answers in ~15 ms a call, too slow to dedup thousands of events a second)."""

    def __init__(self, path: Path, ttl_days: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(str(path), check_same_thread=False)  # built by `stream run`, used by its mapping thread
        self._con.execute("pragma journal_mode=wal")
        self._con.execute("create table if not exists dedup (dedup_key text primary key, expires_at integer not null)")
        self._ttl_seconds = ttl_days * 86_400

    def seen(self, keys: Iterable[str]) -> set[str]:
        pending = list(dict.fromkeys(keys))
        found: set[str] = set()
        now = int(time.time())
        for start in range(0, len(pending), 500):
            chunk = pending[start:start + 500]
            found.update(k for (k,) in self._con.execute(
                f"select dedup_key from dedup where expires_at > ? and dedup_key in ({','.join('?' * len(chunk))})",
                [now, *chunk]))
        return found

    def remember(self, keys: Iterable[str]) -> None:
        expires_at = int(time.time()) + self._ttl_seconds
        with self._con:
            self._con.executemany("insert or replace into dedup values (?, ?)", [(k, expires_at) for k in keys])


class DynamoDBDedupStore:
    """DynamoDB table with string hash key `dedup_key` and TTL attribute `expires_at`."""

    def __init__(self, client, table_name: str, ttl_days: int, max_attempts: int = 8) -> None:
        self._client = client
        self._table = table_name
        self._ttl_seconds = ttl_days * 86_400
        self._max_attempts = max_attempts

    def seen(self, keys: Iterable[str]) -> set[str]:
        pending = list(dict.fromkeys(keys))
        found: set[str] = set()
        for start in range(0, len(pending), DYNAMODB_GET_LIMIT):
            request = {self._table: {"Keys": [{"dedup_key": {"S": k}} for k in pending[start:start + DYNAMODB_GET_LIMIT]],
                                     "ProjectionExpression": "dedup_key"}}
            for attempt in range(self._max_attempts):
                response = self._client.batch_get_item(RequestItems=request)
                found.update(item["dedup_key"]["S"] for item in response["Responses"].get(self._table, []))
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(0.05 * 2 ** attempt, 1.0))
            else:
                raise RuntimeError(f"DynamoDB {self._table}: keys still unprocessed after {self._max_attempts} attempts")
        return found

    def remember(self, keys: Iterable[str]) -> None:
        expires_at = str(int(time.time()) + self._ttl_seconds)
        pending = list(dict.fromkeys(keys))
        for start in range(0, len(pending), DYNAMODB_WRITE_LIMIT):
            request = {self._table: [{"PutRequest": {"Item": {"dedup_key": {"S": k}, "expires_at": {"N": expires_at}}}}
                                     for k in pending[start:start + DYNAMODB_WRITE_LIMIT]]}
            for attempt in range(self._max_attempts):
                request = self._client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
                if not request:
                    break
                time.sleep(min(0.05 * 2 ** attempt, 1.0))
            else:
                raise RuntimeError(f"DynamoDB {self._table}: writes still unprocessed after {self._max_attempts} attempts")
