"""CDC benchmarks: the Lambda handler's throughput on one core, and end-to-end lag through the local
pipeline (producer -> raw stream -> handler -> clean stream -> Bronze) at steady event rates."""

from __future__ import annotations

import base64
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from inventory_platform.lib.duckdb_warehouse import connect_duckdb
from streaming.dedup import InMemoryDedupStore
from streaming.lambda_handler import Runtime, handle
from streaming.local.local_endpoint import LocalEndpoint, StreamNames, aws_client, ensure_streams
from streaming.local.producer import Faults, ProduceStats, encode, produce
from streaming.local.source_simulator import Catalog, SourceSimulator


def synthetic_catalog(warehouses: int = 50, skus: int = 200) -> Catalog:
    """A source for benchmarks that need no built warehouse."""
    wh = {f"WH-{i:03d}": random.Random(i).choice(["USD", "EUR", "JPY", "GBP"]) for i in range(1, warehouses + 1)}
    sk = {f"SKU-{i:06d}": "EA" for i in range(1, skus + 1)}
    pairs = {f"{w}|{s}": 100 for w in wh for s in sk}
    return Catalog(wh, sk, pairs, next_transaction_id=10_000_000, business_start="2025-12-31T00:00:00.000000Z",
                   business_end="2025-12-31T23:59:59.999999Z")


class _AcceptingKinesis:
    def put_records(self, StreamName, Records):
        return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "0", "ShardId": "s"} for _ in Records]}


def handler_throughput(events: int = 50_000, batch_size: int = 500, runs: int = 5) -> dict:
    """Events per second through handle() on one core: decode, validate, standardize, dedup, encode.
    Kinesis and the dedup table are replaced by in-memory stand-ins so only the handler is timed."""
    source = SourceSimulator.start(synthetic_catalog(), seed=1, out_of_order_rate=0.1)
    source.step()  # the initial snapshot is not part of the steady stream
    stats = ProduceStats()
    records: list[tuple[bytes, str]] = []
    while len(records) < events:
        records += encode(source.step(), Faults(duplicate=0.02), random.Random(1), stats)
    batches = [{"Records": [{"eventSource": "aws:kinesis", "eventSourceARN": "arn:aws:kinesis:us-east-1:0:stream/raw",
                             "kinesis": {"partitionKey": pk, "sequenceNumber": str(i + j),
                                         "data": base64.b64encode(data).decode(), "approximateArrivalTimestamp": 0.0}}
                            for j, (data, pk) in enumerate(records[i:i + batch_size])]}
               for i in range(0, len(records), batch_size)]
    rates = []
    for _ in range(runs):
        runtime = Runtime(kinesis=_AcceptingKinesis(), dedup=InMemoryDedupStore(), clean_stream="c", dlq_stream="d")
        started = time.perf_counter()
        for batch in batches:
            handle(batch, runtime)
        rates.append(len(records) / (time.perf_counter() - started))
    return {"events": len(records), "batch_size": batch_size, "runs": runs,
            "median_events_per_s": round(statistics.median(rates)), "min_events_per_s": round(min(rates)),
            "max_events_per_s": round(max(rates))}


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank q-quantile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def end_to_end_lag(rates: tuple[int, ...] = (100, 2000), seconds: float = 20.0) -> list[dict]:
    """Lag = Bronze commit time - source commit time (source.ts_ms), per event, at steady rates."""
    results = []
    with tempfile.TemporaryDirectory(prefix="cdc-bench-") as tmp:
        root = Path(tmp)
        endpoint = LocalEndpoint(root / "streaming")
        url = endpoint.up()
        try:
            for rate in rates:
                results.append(_lag_at_rate(root / f"rate-{rate}", url, rate, seconds))
        finally:
            endpoint.down()
    return results


def _lag_at_rate(root: Path, url: str, rate: int, seconds: float) -> dict:
    prefix = f"bench{rate}"
    names = StreamNames.from_prefix(prefix)
    kinesis = aws_client("kinesis", url)
    ensure_streams(kinesis, aws_client("dynamodb", url), names, {names.raw: 2, names.clean: 2, names.dlq: 1})
    db = root / "warehouse.duckdb"
    env = {**os.environ, "AWS_ENDPOINT_URL": url, "INVENTORY_DATA_DIR": str(root), "INVENTORY_DUCKDB_PATH": str(db),
           "INVENTORY_CDC_STREAM_PREFIX": prefix, "POWERTOOLS_LOG_LEVEL": "WARNING"}
    source = SourceSimulator.start(synthetic_catalog(warehouses=20, skus=50), seed=rate)
    source.s.snapshot_emitted = True  # measure the steady stream only
    pipeline = subprocess.Popen([sys.executable, "-m", "inventory_platform.cli", "stream", "run"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(8)  # let the pipeline process start (imports) before the clock runs
        stats = produce(kinesis, names.raw, source, int(rate * seconds), rate=rate)
        deadline = time.monotonic() + 120
        while _loaded(db) < stats.source_events and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        pipeline.terminate()
        pipeline.wait(timeout=30)
    with connect_duckdb(db, read_only=True) as con:
        lags = [r[0] for r in con.execute("""
            select epoch(_loaded_at) - cast(json_extract_string(payload, '$.source.ts_ms') as bigint) / 1000.0
            from bronze.cdc_events""").fetchall()]
    return {"rate_events_per_s": rate, "seconds": seconds, "events": stats.source_events, "loaded": len(lags),
            "achieved_rate_events_per_s": round(stats.source_events / stats.seconds),
            "lag_p50_s": round(statistics.median(lags), 2), "lag_p95_s": round(percentile(lags, 0.95), 2),
            "lag_max_s": round(max(lags), 2)}


def _loaded(db: Path) -> int:
    try:
        with connect_duckdb(db, read_only=True, wait_seconds=1) as con:
            return con.execute("select count(*) from bronze.cdc_events").fetchone()[0]
    except (TimeoutError, duckdb.IOException, duckdb.CatalogException):
        return 0  # the loader is writing, or has not created the table yet
