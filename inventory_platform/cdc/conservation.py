"""CDC conservation: every raw-stream record the handler has read is accounted for, per shard.

    read = clean + dead-lettered + deduplicated + in flight + sent to the failure destination

clean: the first delivery of a change that is in Bronze; deduplicated: another delivery of a change in
Bronze; dead-lettered: a dead letter names the record's raw position; in flight: its change is on the
clean stream after the loader's checkpoint; failure destination: the event-source mapping gave up on
its batch. A record in none of these was lost between the raw stream and Bronze, and the check fails
naming it. Records after the mapping's checkpoint have not been read yet and are only reported.

The figures are derived from the streams and Bronze themselves, not from counters the handler keeps:
`stream run` killed after the handler forwarded a batch and before any counter was written would
leave counters that never add up, while what reached the streams and Bronze is what happened. The
check covers the records the raw stream still retains (24 hours by default in Kinesis).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from pydantic import ValidationError

from inventory_platform.cdc.local_stack import kinesis_client, stream_names
from inventory_platform.lib.duckdb_warehouse import connect_duckdb
from inventory_platform.settings import Settings
from streaming.contract import parse_event_json, partition_key
from streaming.local.event_source_mapping import mapping_checkpoint_file
from streaming.local.shard_reader import ShardReader

OUTCOMES = ("clean", "dead_lettered", "deduplicated", "in_flight", "failure_destination", "missing")


@dataclass
class ShardFigures:
    read: int = 0
    waiting: int = 0
    outcomes: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, int]:
        return {"read": self.read, **{o: self.outcomes[o] for o in OUTCOMES}, "not_read_yet": self.waiting}


@dataclass
class Conservation:
    shards: dict[str, ShardFigures]
    missing_examples: list[str]

    def total(self, measure: str) -> int:
        return sum(f.as_dict()[measure] for f in self.shards.values())

    @property
    def holds(self) -> bool:
        return self.total("missing") == 0

    def summary(self) -> str:
        terms = " + ".join(f"{self.total(o):,} {o.replace('_', ' ')}" for o in OUTCOMES if o != "missing")
        text = f"CDC records read {self.total('read'):,} = {terms}"
        if self.holds:
            return text
        return (f"{text} + {self.total('missing'):,} MISSING (neither in Bronze, on the clean stream, nor dead-lettered), "
                f"e.g. {'; '.join(self.missing_examples)}")


def _event_key(data: bytes) -> str | None:
    """The change a record carries, named as Bronze names it (the handler's clean partition key and the
    lsn, inventory_platform.cdc.bronze_table.EVENT_KEY_SQL); None when the contract refuses the record."""
    try:
        event = parse_event_json(data)
    except ValidationError:
        return None
    return f"{partition_key(event.source.table, event.key())}#{event.source.lsn}"


def _failure_ranges(settings: Settings, raw_stream: str) -> dict[str, list[tuple[int, int]]]:
    path = settings.streaming_dir / f"esm-{raw_stream}-failures.jsonl"
    ranges: dict[str, list[tuple[int, int]]] = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        entry = json.loads(line)
        ranges.setdefault(entry["shard_id"], []).append(
            (int(entry["start_sequence_number"]), int(entry["end_sequence_number"])))
    return ranges


def read_conservation(settings: Settings, max_examples: int = 5) -> Conservation:
    names = stream_names(settings)
    kinesis = kinesis_client(settings)
    raw, clean, dlq = (ShardReader(kinesis, n) for n in (names.raw, names.clean, names.dlq))
    # In the order the records move, so that whatever the handler had read is found further on, even
    # while `stream run` works: its checkpoint first, then Bronze, the clean stream after Bronze's
    # checkpoint, and the dead letters.
    handled = json.loads(f.read_text()) if (f := mapping_checkpoint_file(settings.streaming_dir, raw)).exists() else {}
    failed = _failure_ranges(settings, names.raw)
    with connect_duckdb(settings.duckdb_path, read_only=True, wait_seconds=30) as con:
        in_bronze = {k for (k,) in con.execute("select event_key from bronze.cdc_event_keys").fetchall()}
        loaded_to = dict(con.execute(
            "select shard_id, sequence_number from bronze.cdc_checkpoints where stream_name = ? and stream_epoch = ?",
            [names.clean, clean.epoch]).fetchall())
    in_flight = {_event_key(r["Data"]) for shard_id in clean.shard_ids()
                 for r in clean.records_after(shard_id, loaded_to.get(shard_id))} - {None}
    # Positions are per shard; a partition key maps to one shard, so (partition key, sequence) names a record.
    dead = {(letter["raw_partition_key"], letter["raw_shard_sequence_number"]) for shard_id in dlq.shard_ids()
            for letter in (json.loads(r["Data"]) for r in dlq.records_after(shard_id, None))}

    shards, examples, delivered = {}, [], set()
    for shard_id in raw.shard_ids():
        figures = shards[shard_id] = ShardFigures()
        handled_to = int(handled.get(shard_id, 0))
        for record in raw.records_after(shard_id, None):
            position = int(record["SequenceNumber"])
            if position > handled_to:
                figures.waiting += 1
                continue
            figures.read += 1
            if (record["PartitionKey"], record["SequenceNumber"]) in dead:
                outcome = "dead_lettered"
            elif any(start <= position <= end for start, end in failed.get(shard_id, [])):
                outcome = "failure_destination"
            elif (key := _event_key(record["Data"])) in in_bronze:
                outcome = "deduplicated" if key in delivered else "clean"
                delivered.add(key)
            elif key in in_flight:
                outcome = "in_flight"
            else:
                outcome = "missing"
                if len(examples) < max_examples:
                    examples.append(f"{shard_id} sequence {record['SequenceNumber']} "
                                    f"({key or 'refused by the contract, yet not dead-lettered'})")
            figures.outcomes[outcome] += 1
    return Conservation(shards, examples)
