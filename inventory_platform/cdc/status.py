"""CDC health: what Bronze holds, and how far each hop of the pipeline is behind its stream.

Lag of a hop = age of the oldest record it has not processed yet (0 when it is caught up), the local
equivalent of Kinesis' GetRecords.IteratorAgeMilliseconds. A quiet source is not lag.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from inventory_platform.cdc.local_stack import kinesis_client, stream_names
from inventory_platform.lib.duckdb_warehouse import connect_duckdb
from inventory_platform.settings import Settings
from streaming.local.event_source_mapping import mapping_checkpoint_file
from streaming.local.shard_reader import ShardReader

BRONZE_QUERY = """
    select count(*), max(approximate_arrival_timestamp), max(_loaded_at),
           max(cast(json_extract_string(payload, '$.source.ts_ms') as bigint))
    from bronze.cdc_events"""


@dataclass(frozen=True)
class CdcStatus:
    bronze_events: int
    newest_arrival: str | None
    newest_load: str | None
    newest_source_commit: str | None
    raw_lag_seconds: float
    clean_lag_seconds: float
    raw_unprocessed: int
    clean_unloaded: int
    dead_letters: int
    mapping_failures: int

    @property
    def lag_seconds(self) -> float:
        return max(self.raw_lag_seconds, self.clean_lag_seconds)

    def as_dict(self) -> dict:
        return {**asdict(self), "lag_seconds": self.lag_seconds}


def _oldest_unprocessed(reader: ShardReader, checkpoints: dict[str, str], now: float) -> tuple[float, int]:
    """(age in seconds of the oldest record after the checkpoints, records waiting on all shards)."""
    age, waiting = 0.0, 0
    for shard_id in reader.shard_ids():
        count, first = reader.backlog(shard_id, checkpoints.get(shard_id))
        if first:
            waiting += count
            age = max(age, now - first["ApproximateArrivalTimestamp"].timestamp())
    return age, waiting


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def read_status(settings: Settings) -> CdcStatus:
    names = stream_names(settings)
    kinesis = kinesis_client(settings)
    raw, clean = ShardReader(kinesis, names.raw), ShardReader(kinesis, names.clean)
    with connect_duckdb(settings.duckdb_path, read_only=True, wait_seconds=5) as con:
        has_table = con.execute("select count(*) from duckdb_tables() where schema_name = 'bronze' "
                                "and table_name = 'cdc_events'").fetchone()[0]
        events, arrival, loaded, commit_ms = con.execute(BRONZE_QUERY).fetchone() if has_table else (0, None, None, None)
        loaded_positions = dict(con.execute(
            "select shard_id, sequence_number from bronze.cdc_checkpoints where stream_name = ? and stream_epoch = ?",
            [names.clean, clean.epoch]).fetchall()) if has_table else {}
    now = time.time()
    esm_file = mapping_checkpoint_file(settings.streaming_dir, raw)
    esm_positions = json.loads(esm_file.read_text()) if esm_file.exists() else {}
    raw_age, raw_waiting = _oldest_unprocessed(raw, esm_positions, now)
    clean_age, clean_waiting = _oldest_unprocessed(clean, loaded_positions, now)
    dlq = ShardReader(kinesis, names.dlq)
    dead_letters = sum(dlq.backlog(shard_id, None)[0] for shard_id in dlq.shard_ids())
    failures_file = settings.streaming_dir / f"esm-{names.raw}-failures.jsonl"
    failures = sum(json.loads(line)["batch_size"] for line in failures_file.read_text().splitlines()) if failures_file.exists() else 0
    commit = datetime.fromtimestamp(commit_ms / 1000, tz=UTC) if commit_ms else None
    return CdcStatus(events, _iso(arrival), _iso(loaded), _iso(commit), round(raw_age, 3), round(clean_age, 3),
                     raw_waiting, clean_waiting, dead_letters, failures)
