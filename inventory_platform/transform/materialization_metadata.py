"""Metadata recorded with each dbt materialization: row count and last-updated time for every table,
and for the executive trend the chart and YoY table analysts see on the asset page.

Counted after dbt finishes, in one statement through the warehouse resource (either engine): DuckDB
has one writer, so counting while the dbt process still holds the file would race it for the lock.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

import dagster as dg

from inventory_platform.lib.sql_quoting import quote_ident, quote_literal
from inventory_platform.reporting.trend_chart import trend_chart_png
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
        "latest_yoy_pct": dg.MetadataValue.float(latest.yoy_pct) if latest.yoy_pct is not None else dg.MetadataValue.null(),
    }


def _asset_key(context: dg.AssetExecutionContext, event) -> dg.AssetKey | None:
    if isinstance(event, dg.Output):
        return context.asset_key_for_output(event.output_name)
    if isinstance(event, dg.AssetMaterialization):
        return event.asset_key
    return None


def with_table_metadata(context: dg.AssetExecutionContext, events: list, query: Query) -> Iterator:
    """The dbt events with row count and last-updated time added to each materialization, and the
    trend chart and YoY table added to the executive trend's."""
    built = {key: event for event in events if (key := _asset_key(context, event)) is not None}
    counts = row_counts(query, built)
    updated = dg.MetadataValue.timestamp(time.time())
    extra = {TREND_KEY: trend_metadata(yoy_trend(query, by="total"))} if TREND_KEY in built else {}
    for event in events:
        key = _asset_key(context, event)
        if key is None:
            yield event
            continue
        yield event.with_metadata({**event.metadata, "dagster/row_count": counts[key],
                                   "dagster/last_updated_timestamp": updated, **extra.get(key, {})})
