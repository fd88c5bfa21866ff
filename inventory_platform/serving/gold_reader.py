"""The one way readers reach Gold: the published copy locally (never waits for a writer), Gold itself on Redshift
(MVCC: a reader never waits for dbt or a materialized-view refresh there)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC

import duckdb

from inventory_platform.lib.engine import warehouse_resource
from inventory_platform.serving.published_gold import INFO_TABLE
from inventory_platform.settings import Settings

Query = Callable[..., list[tuple]]  # query(sql) or query(sql, params), `?` placeholders on both engines


class GoldNotPublished(RuntimeError):
    pass


@contextmanager
def gold_query(settings: Settings) -> Iterator[Query]:
    """Run statements on one consistent Gold for the duration of the block.

    Locally each block opens the published file afresh and closes it: DuckDB reuses an open database instance
    within a process, so a connection kept open would keep answering from the build it first saw."""
    if settings.warehouse_kind != "duckdb":
        warehouse = warehouse_resource(settings.warehouse_kind, settings.duckdb_path)
        # redshift_connector's paramstyle is `format`; the platform's report SQL has no literal `?`.
        yield lambda sql, params=None: warehouse.query(sql.replace("?", "%s") if params else sql, params)
        return
    path = settings.published_gold_path
    if not path.exists():
        raise GoldNotPublished(
            f"Gold has not been published to {path} yet: build it with `make demo` or `inventory-platform materialize`")
    with duckdb.connect(str(path), read_only=True) as con:
        yield lambda sql, params=None: con.execute(sql, params).fetchall()


def published_info(settings: Settings, query: Query) -> dict | None:
    """Which build `query` (from gold_query) reads: build_id (the Dagster run), published_at and row counts;
    None on Redshift, where readers see Gold as each model commits."""
    if settings.warehouse_kind != "duckdb":
        return None
    build_id, published_at, relations, counts = query(
        f"SELECT build_id, published_at, relations, row_counts FROM {INFO_TABLE}")[0]
    return {"build_id": build_id, "published_at": published_at.astimezone(UTC),
            "row_counts": dict(zip(relations, counts, strict=True))}
