"""Metadata recorded with each dbt materialization: row count, last-updated time and column types for
every table, plus whatever metadata the code location adds for particular assets (the executive trend's
chart, inventory_platform/reporting/trend_metadata.py; the newest event date the ledger fact and Gold hold,
which the data_is_current checks compare with the clock, inventory_platform/monitoring/data_freshness.py).

Read after dbt finishes, in two statements through the warehouse resource (either engine): DuckDB has
one writer, so querying while the dbt process still holds the file would race it for the lock (which
is why dagster-dbt's fetch_row_counts/fetch_column_metadata are not used).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence

import dagster as dg

from inventory_platform.lib.sql_quoting import quote_ident, quote_literal

Query = Callable[[str], Sequence[tuple]]
# Metadata for one asset computed from the warehouse after dbt finished, keyed by the asset.
MetadataOf = Callable[[Query], dict[str, dg.MetadataValue]]
ExtraMetadata = Mapping[dg.AssetKey, MetadataOf | tuple[MetadataOf, ...]]
# The newest event day (YYYY-MM-DD) a table holds: how new its data is, whenever it was rebuilt.
NEWEST_EVENT_DATE = "newest_event_date"
LEDGER_FACT_KEY = dg.AssetKey(["silver", "fct_inventory_transactions"])


def newest_event_value(day) -> dict[str, dg.MetadataValue]:
    """The metadata entry for a newest event day (a date or timestamp), none for an empty table."""
    return {NEWEST_EVENT_DATE: dg.MetadataValue.text(day.isoformat()[:10])} if day is not None else {}


def newest_event_metadata(query: Query) -> dict[str, dg.MetadataValue]:
    """The newest event day of the Silver ledger. Recorded on the fact and on Gold: Gold gets metadata only
    when it was built in the same dbt build that read that ledger, so the day is also what Gold covers."""
    rows = query("SELECT max(event_date) FROM silver.fct_inventory_transactions")
    return newest_event_value(rows[0][0] if rows else None)


def row_counts(query: Query, keys: Iterable[dg.AssetKey]) -> dict[dg.AssetKey, int]:
    """Rows per [schema, table] asset key, in one round trip."""
    keys = list(keys)
    if not keys:
        return {}
    sql = " UNION ALL ".join(
        f"SELECT {quote_literal(k.to_user_string())}, count(*) FROM {quote_ident(k.path[0])}.{quote_ident(k.path[1])}"
        for k in keys)
    by_name = {name: int(count) for name, count in query(sql)}
    return {k: by_name[k.to_user_string()] for k in keys}


def _schemas_of(keys: list[dg.AssetKey]) -> str:
    """The keys' schemas as a SQL list of quoted literals."""
    return ", ".join(sorted({quote_literal(k.path[0]) for k in keys}))


def views(query: Query, keys: Iterable[dg.AssetKey]) -> set[dg.AssetKey]:
    """The keys that are views (information_schema, any engine). A view's count(*) runs its query: the
    ledger's detail view joins every fact row to every Bronze row (13 GB and a minute at `medium`)."""
    keys = list(keys)
    if not keys:
        return set()
    rows = query(f"SELECT table_schema, table_name FROM information_schema.tables "
                 f"WHERE table_type = 'VIEW' AND table_schema IN ({_schemas_of(keys)})")
    found = {(schema, table) for schema, table in rows}
    return {k for k in keys if tuple(k.path) in found}


def column_types(query: Query, keys: Iterable[dg.AssetKey]) -> dict[dg.AssetKey, list[tuple[str, str]]]:
    """(column, type) per table in table order, from information_schema (DuckDB, Redshift, PostgreSQL)."""
    keys = list(keys)
    if not keys:
        return {}
    rows = query("SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
                 f"WHERE table_schema IN ({_schemas_of(keys)}) ORDER BY table_schema, table_name, ordinal_position")
    wanted = {tuple(k.path): k for k in keys}
    found: dict[dg.AssetKey, list[tuple[str, str]]] = {}
    for schema, table, column, data_type in rows:
        if (key := wanted.get((schema, table))) is not None:
            found.setdefault(key, []).append((column, str(data_type)))
    return found


def typed_schema(declared: dg.TableSchema | None, columns: list[tuple[str, str]]) -> dg.TableSchema:
    """The table's actual columns and types, with the descriptions declared in dbt yml."""
    described = {c.name: c.description for c in declared.columns} if declared else {}
    return dg.TableSchema(columns=[dg.TableColumn(name, data_type, described.get(name)) for name, data_type in columns])


def _asset_key(context: dg.AssetExecutionContext, event) -> dg.AssetKey | None:
    if isinstance(event, dg.Output):
        return context.asset_key_for_output(event.output_name)
    if isinstance(event, dg.AssetMaterialization):
        return event.asset_key
    return None


def table_metadata(context: dg.AssetExecutionContext, keys: list[dg.AssetKey], query: Query,
                   extra: ExtraMetadata) -> dict[dg.AssetKey, dict]:
    """Row count (tables only, not views), last-updated time and typed column schema per built relation,
    and the extra metadata."""
    viewed = views(query, keys)
    counts = row_counts(query, [key for key in keys if key not in viewed])
    types = column_types(query, keys)
    updated = dg.MetadataValue.timestamp(time.time())
    metadata = {}
    for key in keys:
        metadata[key] = {"dagster/last_updated_timestamp": updated}
        if key in counts:
            metadata[key]["dagster/row_count"] = counts[key]
        if types.get(key):
            declared = context.assets_def.specs_by_key[key].metadata.get("dagster/column_schema")
            metadata[key]["dagster/column_schema"] = typed_schema(declared, types[key])
    computed: dict[Callable, dict] = {}  # one query per function, however many assets record its answer
    for key, computes in extra.items():
        if key in metadata:
            for compute in computes if isinstance(computes, tuple) else (computes,):
                if compute not in computed:
                    computed[compute] = compute(query)
                metadata[key] |= computed[compute]
    return metadata


def with_table_metadata(context: dg.AssetExecutionContext, events: list, query: Query,
                        extra_metadata: ExtraMetadata, rebuilt_later: Collection[dg.AssetKey] = ()) -> Iterator:
    """The dbt events, each materialization with its table metadata added, except those of `rebuilt_later`:
    tables a later dbt invocation of the same step rebuilds (the ledger's chain in a chunk that is not the
    pass's last), whose final materialization carries it."""
    built = [key for event in events if (key := _asset_key(context, event)) is not None and key not in rebuilt_later]
    try:
        extra = table_metadata(context, built, query, extra_metadata)
    except Exception as exc:  # noqa: BLE001 - metadata must never cost the materializations dbt already made
        context.log.warning(f"Row counts, column types and the trend chart were not recorded: {exc!r}")
        extra = {}
    for event in events:
        key = _asset_key(context, event)
        yield event if key is None else event.with_metadata({**event.metadata, **extra.get(key, {})})
