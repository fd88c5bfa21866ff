"""The local CDC pipeline: raw stream -> handler (through the event-source mapping) -> clean stream -> Bronze.

It composes the local AWS harness (streaming.local), the Lambda handler (streaming) and the DuckDB loader,
so it lives in the platform: the harness never imports the platform."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from inventory_platform.cdc.bronze_loader import BronzeCdcLoader
from streaming.dedup import DynamoDBDedupStore, SqliteDedupStore
from streaming.lambda_handler import Runtime, handle
from streaming.local.event_source_mapping import EventSourceMapping, FileCheckpoints, mapping_checkpoint_file
from streaming.local.local_endpoint import StreamNames, aws_client
from streaming.local.shard_reader import ShardReader


class Poller(Protocol):
    def poll(self) -> int: ...


@dataclass
class LocalPipeline:
    mapping: EventSourceMapping
    loader: BronzeCdcLoader

    def poll(self) -> int:
        return self.mapping.poll() + self.loader.poll()


def build_pipeline(endpoint_url: str | None, names: StreamNames, state_dir: Path, connect: Callable,
                   batch_size: int = 500, dedup_ttl_days: int = 8, dedup: str = "sqlite") -> LocalPipeline:
    """`dedup`: "sqlite" (a file under state_dir, the local default) or "dynamodb" (the table AWS uses)."""
    kinesis = aws_client("kinesis", endpoint_url)
    store = (DynamoDBDedupStore(aws_client("dynamodb", endpoint_url), names.dedup_table, dedup_ttl_days)
             if dedup == "dynamodb" else SqliteDedupStore(state_dir / f"dedup-{names.dedup_table}.sqlite", dedup_ttl_days))
    runtime = Runtime(kinesis=kinesis, dedup=store, clean_stream=names.clean, dlq_stream=names.dlq)
    raw = ShardReader(kinesis, names.raw, limit=batch_size)
    mapping = EventSourceMapping(raw, lambda event: handle(event, runtime), FileCheckpoints(mapping_checkpoint_file(state_dir, raw)),
                                 state_dir / f"esm-{names.raw}-failures.jsonl")
    loader = BronzeCdcLoader(ShardReader(kinesis, names.clean), connect)
    return LocalPipeline(mapping, loader)


def run_hops_concurrently(pipeline: LocalPipeline, should_stop: Callable[[], bool], pause_s: float = 0.2) -> None:
    """Run the event-source mapping and the Bronze loader each in its own thread, as AWS runs them (the
    Lambda mapping and the clean stream's consumer are independent services): while one hop waits on
    the stream endpoint, the other works. Stops when should_stop() is true or a hop fails (re-raised)."""
    failures: list[BaseException] = []
    interrupted = threading.Event()

    def loop(hop: Poller) -> None:
        try:
            while not should_stop() and not failures and not interrupted.is_set():
                if not hop.poll():
                    time.sleep(pause_s)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            failures.append(exc)

    threads = [threading.Thread(target=loop, args=(hop,), name=name, daemon=True)
               for name, hop in (("event-source-mapping", pipeline.mapping), ("bronze-loader", pipeline.loader))]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except KeyboardInterrupt:  # let each hop finish its batch (and commit) before returning
        interrupted.set()
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]


def poll_until_idle(poller: Poller, idle_polls: int = 3, pause_s: float = 0.2, timeout_s: float | None = None) -> int:
    """Poll until several consecutive polls find nothing; returns how many records moved."""
    total, idle = 0, 0
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while idle < idle_polls:
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"the pipeline was still busy after {timeout_s} s")
        n = poller.poll()
        total += n
        idle = 0 if n else idle + 1
        if not n:
            time.sleep(pause_s)
    return total
