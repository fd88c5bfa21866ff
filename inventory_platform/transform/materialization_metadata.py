"""Metadata recorded with each dbt materialization: row count, last-updated time and column types for
every table, and for the executive trend the chart and YoY table analysts see on the asset page.

Read after dbt finishes, in two statements through the warehouse resource (either engine): DuckDB has
one writer, so querying while the dbt process still holds the file would race it for the lock (which
is why dagster-dbt's fetch_row_counts/fetch_column_metadata are not used).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

import dagster as dg

from inventory_platform.lib.sql_quoting import quote_ident, quote_literal
from inventory_platform.reporting.yoy import YoYRow, yoy_trend

TREND_KEY = dg.AssetKey(["gold", "gold_inventory_value_trend"])
Query = Callable[[str], Sequence[tuple]]


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


def column_types(query: Query, keys: Iterable[dg.AssetKey]) -> dict[dg.AssetKey, list[tuple[str, str]]]:
    """(column, type) per table in table order, from information_schema (DuckDB, Redshift, PostgreSQL)."""
    keys = list(keys)
    if not keys:
        return {}
    schemas = ", ".join(sorted({quote_literal(k.path[0]) for k in keys}))
    rows = query("SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
                 f"WHERE table_schema IN ({schemas}) ORDER BY table_schema, table_name, ordinal_position")
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


def _money(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def yoy_table(rows: list[YoYRow]) -> dg.TableMetadataValue:
    schema = dg.TableSchema(columns=[
        dg.TableColumn("month_end", "date", "Calendar month end."),
        dg.TableColumn("value_usd", "float", "Month-end inventory value, USD."),
        dg.TableColumn("prior_year_value_usd", "float", "Value twelve months earlier, USD."),
        dg.TableColumn("yoy_change_usd", "float", "Change on the prior year, USD."),
        dg.TableColumn("yoy_pct", "float", "Change on the prior year, %."),
        dg.TableColumn("constant_currency_yoy_pct", "float", "Change at the prior year's FX rates, %."),
    ])
    records = [dg.TableRecord({
        "month_end": r.month_end_date.isoformat(), "value_usd": _money(r.value_usd),
        "prior_year_value_usd": _money(r.prior_year_value_usd), "yoy_change_usd": _money(r.yoy_change_usd),
        "yoy_pct": _pct(r.yoy_pct), "constant_currency_yoy_pct": _pct(r.constant_currency_yoy_pct),
    }) for r in reversed(rows)]
    return dg.MetadataValue.table(records, schema=schema)


def trend_metadata(rows: list[YoYRow]) -> dict[str, dg.MetadataValue]:
    """The executive view: chart (embedded PNG, so it needs no file server) and the YoY table."""
    if not rows:
        return {"trend_chart": dg.MetadataValue.md(
            "No month end has a prior year yet: the chart appears once 13 months of history are loaded.")}
    from inventory_platform.reporting.trend_chart import trend_chart_png  # matplotlib: 2 s to import, needed only here

    image = base64.b64encode(trend_chart_png(rows)).decode("ascii")
    latest = rows[-1]
    yoy = "n/a" if latest.yoy_pct is None else f"{latest.yoy_pct:+.1f}%"
    markdown = (
        f"**Month-end inventory value, {rows[0].month_end_date:%b %Y} to {latest.month_end_date:%b %Y} (USD)**, "
        f"company total with the prior year overlaid. Latest: USD {latest.value_usd:,.0f} ({yoy} YoY).\n\n"
        f"![Month-end inventory value vs prior year, USD](data:image/png;base64,{image})"
    )
    return {
        "trend_chart": dg.MetadataValue.md(markdown),
        "yoy_table": yoy_table(rows),
        "latest_month_end": dg.MetadataValue.text(latest.month_end_date.isoformat()),
        "latest_value_usd": dg.MetadataValue.float(float(latest.value_usd)),
        "latest_yoy_pct": dg.MetadataValue.float(_pct(latest.yoy_pct)) if latest.yoy_pct is not None else dg.MetadataValue.null(),
    }


def _asset_key(context: dg.AssetExecutionContext, event) -> dg.AssetKey | None:
    if isinstance(event, dg.Output):
        return context.asset_key_for_output(event.output_name)
    if isinstance(event, dg.AssetMaterialization):
        return event.asset_key
    return None


def table_metadata(context: dg.AssetExecutionContext, keys: list[dg.AssetKey], query: Query) -> dict[dg.AssetKey, dict]:
    """Row count, last-updated time and typed column schema per built table; the executive view for the trend."""
    counts = row_counts(query, keys)
    types = column_types(query, keys)
    updated = dg.MetadataValue.timestamp(time.time())
    metadata = {}
    for key in keys:
        metadata[key] = {"dagster/row_count": counts[key], "dagster/last_updated_timestamp": updated}
        if types.get(key):
            declared = context.assets_def.specs_by_key[key].metadata.get("dagster/column_schema")
            metadata[key]["dagster/column_schema"] = typed_schema(declared, types[key])
    if TREND_KEY in metadata:
        metadata[TREND_KEY] |= trend_metadata(yoy_trend(query, by="total"))
    return metadata


def with_table_metadata(context: dg.AssetExecutionContext, events: list, query: Query) -> Iterator:
    """The dbt events, each materialization with its table metadata added."""
    built = [key for event in events if (key := _asset_key(context, event)) is not None]
    try:
        extra = table_metadata(context, built, query)
    except Exception as exc:  # noqa: BLE001 - metadata must never cost the materializations dbt already made
        context.log.warning(f"Row counts, column types and the trend chart were not recorded: {exc!r}")
        extra = {}
    for event in events:
        key = _asset_key(context, event)
        yield event if key is None else event.with_metadata({**event.metadata, **extra.get(key, {})})
