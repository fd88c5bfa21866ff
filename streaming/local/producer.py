"""Puts the source's change events on the raw stream at a given rate, with optional fault injection.

Faults model what real CDC pipelines see: exact redeliveries and redeliveries under a new event id
(duplicates), events that are not valid (malformed) or too large (oversized). Out-of-order and late
events come from the source simulator itself. Injected bad events never change the source's truth.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass, field

from streaming.contract import partition_key
from streaming.kinesis_io import put_records
from streaming.local.source_simulator import SourceSimulator


@dataclass(frozen=True)
class Faults:
    duplicate: float = 0.0
    malformed: float = 0.0
    oversized: float = 0.0


@dataclass
class ProduceStats:
    source_events: int = 0
    duplicates: int = 0
    malformed: int = 0
    oversized: int = 0
    put: int = 0
    refused: int = 0
    seconds: float = 0.0
    injected: list[str] = field(default_factory=list)


def _key_of(event: dict) -> str:
    image = event.get("after") or event.get("before") or {}
    if "transaction_id" in image:
        return str(image["transaction_id"])
    return f"{str(image.get('warehouse_id', '')).upper()}|{str(image.get('sku_id', '')).upper()}"


def _record(event: dict) -> tuple[bytes, str]:
    return json.dumps(event, separators=(",", ":")).encode(), partition_key(event["source"]["table"], _key_of(event))


def _malformed(event: dict, rng: random.Random) -> tuple[bytes, str]:
    kind = rng.randrange(4)
    pk = partition_key(event["source"]["table"], _key_of(event))
    if kind == 0:
        return b'{"event_id": "broken", "op": "c", "source": {', pk
    bad = json.loads(json.dumps(event))
    bad["event_id"] = str(uuid.UUID(int=rng.getrandbits(128)))
    image = bad["after"] or bad["before"]
    if kind == 1:
        del bad["op"]
    elif kind == 2 and "movement_type" in image:
        image["movement_type"] = "TELEPORT"
    else:
        image["quantity" if "quantity" in image else "quantity_on_hand"] = "a lot"
    return json.dumps(bad).encode(), pk


def _oversized(event: dict, rng: random.Random) -> tuple[bytes, str]:
    big = json.loads(json.dumps(event))
    big["event_id"] = str(uuid.UUID(int=rng.getrandbits(128)))
    big["source"]["padding"] = "x" * 200_000
    return _record(big)


def encode(events: list[dict], faults: Faults, rng: random.Random, stats: ProduceStats) -> list[tuple[bytes, str]]:
    records: list[tuple[bytes, str]] = []
    for event in events:
        records.append(_record(event))
        stats.source_events += 1
        if rng.random() < faults.duplicate:
            stats.duplicates += 1
            if rng.random() < 0.5:
                records.append(records[-1])
            else:  # a redelivery under a new event id: same source position
                records.append(_record({**event, "event_id": str(uuid.UUID(int=rng.getrandbits(128)))}))
        if rng.random() < faults.malformed:
            stats.malformed += 1
            records.append(_malformed(event, rng))
        if rng.random() < faults.oversized:
            stats.oversized += 1
            records.append(_oversized(event, rng))
    return records


def produce(kinesis, stream_name: str, simulator: SourceSimulator, count: int, rate: float | None = None,
            faults: Faults = Faults(), tick_s: float = 0.1, on_put=None) -> ProduceStats:
    """Emit about `count` source events, `rate` per second (None: as fast as the stream takes them)."""
    rng = random.Random(f"faults:{simulator.s.seed}:{simulator.s.events}")
    stats = ProduceStats()
    started = time.monotonic()
    per_tick = max(1, int(rate * tick_s)) if rate else 500
    while stats.source_events < count:
        events: list[dict] = []
        while len(events) < per_tick and stats.source_events + len(events) < count:
            events += simulator.step()
        records = encode(events, faults, rng, stats)
        refused = put_records(kinesis, stream_name, records)
        stats.put += len(records) - len(refused)
        stats.refused += len(refused)
        if refused:
            raise RuntimeError(f"{len(refused)} records refused by {stream_name} after retries; the source must resend")
        if on_put:
            on_put(records)
        if rate:
            ahead = stats.source_events / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    stats.seconds = time.monotonic() - started
    return stats
