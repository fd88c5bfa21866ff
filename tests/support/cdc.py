"""A tiny warehouse with Silver built, a local Kinesis endpoint, and comparisons of Silver with the source."""

from __future__ import annotations

import shutil
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import duckdb

from inventory_platform.cdc.local_pipeline import LocalPipeline, build_pipeline
from inventory_platform.cdc.source_catalog import catalog_from_warehouse
from streaming.local.local_endpoint import LocalEndpoint, StreamNames, aws_client, ensure_streams
from streaming.local.source_simulator import SourceSimulator

from .dbt_runner import run_dbt
from .tiny_bronze import build_tiny_bronze

SHARDS = 2


_BUILT: dict[int, Path] = {}


def build_tiny_silver(root: Path, seed: int = 11) -> Path:
    """A warehouse with Silver built, built once per test session and seed (~70 s on two cores): callers
    treat it as read-only and work on copies (new_lab)."""
    if seed in _BUILT and _BUILT[seed].exists():
        return _BUILT[seed]
    path = build_tiny_bronze(root, seed)
    run_dbt(["build"], "local", root, {"INVENTORY_DUCKDB_PATH": str(path)})
    _BUILT[seed] = path
    return path


@dataclass
class CdcLab:
    """One isolated CDC setup: own streams and dedup table on a shared endpoint, own warehouse copy."""
    root: Path
    url: str
    names: StreamNames
    db: Path

    @property
    def kinesis(self):
        return aws_client("kinesis", self.url)

    def source(self, seed: int = 5, **kwargs) -> SourceSimulator:
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            return SourceSimulator.start(catalog_from_warehouse(con), seed, **kwargs)
        finally:
            con.close()

    def pipeline(self, dedup: str = "sqlite") -> LocalPipeline:
        return build_pipeline(self.url, self.names, self.root / "streaming",
                              lambda timeout_s=None: closing(duckdb.connect(str(self.db))), dedup=dedup)

    def refresh_silver(self, command: str = "run") -> list[dict]:
        return run_dbt([command, "--select", "cdc_inventory_transactions", "int_cdc_stock_levels_state",
                        "stock_levels_current", "int_ledger_restate_window", "int_ledger_resolved",
                        "fct_inventory_transactions"] if command == "run" else [command],
                       "local", self.root, {"INVENTORY_DUCKDB_PATH": str(self.db)})

    def dead_letters(self) -> list[bytes]:
        kinesis = self.kinesis
        out = []
        for shard in kinesis.list_shards(StreamName=self.names.dlq)["Shards"]:
            it = kinesis.get_shard_iterator(StreamName=self.names.dlq, ShardId=shard["ShardId"],
                                            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            out += [r["Data"] for r in kinesis.get_records(ShardIterator=it, Limit=10_000)["Records"]]
        return out


def new_lab(root: Path, endpoint: LocalEndpoint, silver_db: Path, prefix: str) -> CdcLab:
    root.mkdir(parents=True, exist_ok=True)
    db = root / "warehouse.duckdb"
    shutil.copy(silver_db, db)
    url = endpoint.up()
    names = StreamNames.from_prefix(prefix)
    ensure_streams(aws_client("kinesis", url), aws_client("dynamodb", url), names,
                   {names.raw: SHARDS, names.clean: SHARDS, names.dlq: 1})
    return CdcLab(root, url, names, db)


def silver_state(db: Path) -> dict[str, dict]:
    """Silver's view of the source: live transactions and current stock levels, in the truth's format."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        txns = con.execute("""
            select transaction_id, strftime(event_ts, '%Y-%m-%dT%H:%M:%S.%fZ'), warehouse_id, sku_id,
                   movement_type, quantity, reference_id
            from silver.cdc_inventory_transactions where not is_deleted""").fetchall()
        stock = con.execute("""
            select warehouse_id, sku_id, quantity_on_hand, unit_of_measure, currency_code,
                   strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%fZ')
            from silver.stock_levels_current""").fetchall()
        ledger_ids = {r[0] for r in con.execute(
            "select transaction_id from silver.fct_inventory_transactions where source_lsn is not null").fetchall()}
    finally:
        con.close()
    return {
        "inventory_transactions": {str(r[0]): dict(zip(
            ("transaction_id", "event_ts", "warehouse_id", "sku_id", "movement_type", "quantity", "reference_id"), r,
            strict=True))
            for r in txns},
        "stock_levels": {f"{r[0]}|{r[1]}": dict(zip(
            ("warehouse_id", "sku_id", "quantity_on_hand", "unit_of_measure", "currency_code", "updated_at"), r,
            strict=True))
            for r in stock},
        "ledger_ids": ledger_ids,
    }


def assert_silver_is_truth(db: Path, truth: dict[str, dict]) -> None:
    state = silver_state(db)
    for table in ("inventory_transactions", "stock_levels"):
        got, want = state[table], truth[table]
        missing, extra = want.keys() - got.keys(), got.keys() - want.keys()
        wrong = [k for k in want.keys() & got.keys() if got[k] != want[k]]
        assert not (missing or extra or wrong), (
            f"{table}: {len(missing)} missing, {len(extra)} extra, {len(wrong)} different; e.g. "
            f"missing {sorted(missing)[:3]}, extra {sorted(extra)[:3]}, "
            f"different {[(got[k], want[k]) for k in wrong[:2]]}")
    assert state["ledger_ids"] == {int(k) for k in truth["inventory_transactions"]}, "the ledger differs from the source"


def append_streamed_events(db: Path, source: SourceSimulator, count: int) -> int:
    """Write `count` source events into bronze.cdc_events as the handler and loader would, without a
    stream (for engines the stream cannot reach, e.g. the PostgreSQL copy of Bronze)."""
    events = []
    while len(events) < count:
        events += source.step()
    return write_bronze_events(db, [(e, "2025-12-31 23:59:59") for e in events], "2026-01-01 00:00:00", "offline")


def write_bronze_events(db: Path, events: list[tuple[dict, str]], loaded_at: str, batch_id: str,
                        first_sequence: int = 0) -> int:
    """One Bronze load of source events, each with the time it arrived in the clean stream."""
    from inventory_platform.cdc.bronze_table import ensure_cdc_tables
    from streaming.contract import parse_event, partition_key

    parsed = [(parse_event(e), arrived) for e, arrived in events]
    # The partition key the handler gives each clean record (lambda_handler.py): `<table>|<row key>`.
    rows = [("offline-clean", "shardId-000000000000", str(first_sequence + i), partition_key(e.source.table, e.key()),
             arrived, e.model_dump_json(exclude_none=True), loaded_at, batch_id)
            for i, (e, arrived) in enumerate(parsed)]
    con = duckdb.connect(str(db))
    try:
        ensure_cdc_tables(con)
        con.executemany("insert into bronze.cdc_events values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    finally:
        con.close()
    return len(rows)
