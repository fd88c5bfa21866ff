"""The CDC pieces wired from settings: endpoint, stream names, pipeline and the source simulator state."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from inventory_platform.cdc.source_catalog import catalog_from_warehouse
from inventory_platform.lib.duckdb_warehouse import connect_duckdb
from inventory_platform.settings import Settings
from streaming.local.local_endpoint import LocalEndpoint, StreamNames, aws_client
from streaming.local.source_simulator import SourceSimulator

if TYPE_CHECKING:
    from inventory_platform.cdc.local_pipeline import LocalPipeline

SHARDS = {"raw": 2, "clean": 2, "dlq": 1}


class StreamNotRunning(RuntimeError):
    """Locally, the Kinesis endpoint (`inventory-platform stream up`) is not running: no stream, nothing waiting."""


def stream_names(settings: Settings) -> StreamNames:
    return StreamNames.from_prefix(settings.cdc_stream_prefix)


def shard_counts(names: StreamNames) -> dict[str, int]:
    return {names.raw: SHARDS["raw"], names.clean: SHARDS["clean"], names.dlq: SHARDS["dlq"]}


def local_endpoint(settings: Settings) -> LocalEndpoint:
    return LocalEndpoint(settings.streaming_dir)


def endpoint_url(settings: Settings) -> str | None:
    """AWS_ENDPOINT_URL if set; locally the running moto server; in production None (AWS itself)."""
    if url := os.environ.get("AWS_ENDPOINT_URL"):
        return url
    if not settings.is_local:
        return None
    url = local_endpoint(settings).url()
    if url is None:
        raise StreamNotRunning("the local Kinesis endpoint is not running: start it with `inventory-platform stream up`")
    return url


def kinesis_client(settings: Settings):
    return aws_client("kinesis", endpoint_url(settings))


def warehouse_connector(settings: Settings):
    return lambda timeout_s=None: connect_duckdb(settings.duckdb_path, writer_wait_s=timeout_s)


def pipeline(settings: Settings, batch_size: int = 500) -> LocalPipeline:
    # The Lambda handler imports boto3 and the Bronze loader pyarrow: when the pipeline runs, not when the
    # code location loads.
    from inventory_platform.cdc.local_pipeline import build_pipeline

    return build_pipeline(endpoint_url(settings), stream_names(settings), settings.streaming_dir,
                          warehouse_connector(settings), batch_size=batch_size, dedup=settings.cdc_dedup_store)


def source_state_path(settings: Settings) -> Path:
    return settings.streaming_dir / "source_state.json"


def load_source(settings: Settings, seed: int, **kwargs) -> SourceSimulator:
    """The simulated source, continuing where the last `produce` left it, or from the warehouse's state."""
    path = source_state_path(settings)
    if path.exists():
        return SourceSimulator.loads(path.read_text(), **kwargs)
    with connect_duckdb(settings.duckdb_path, read_only=True) as con:
        catalog = catalog_from_warehouse(con)
    return SourceSimulator.start(catalog, seed, **kwargs)


def save_source(settings: Settings, source: SourceSimulator) -> None:
    path = source_state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(source.dumps())
    os.replace(tmp, path)
