"""The executive view on the Gold trend asset's page: the chart (embedded PNG, so it needs no file server) and the
YoY table, recorded with each materialization of gold/gold_inventory_value_trend."""

from __future__ import annotations

import base64

import dagster as dg

from inventory_platform.reporting.yoy import YoYRow, yoy_trend

TREND_KEY = dg.AssetKey(["gold", "gold_inventory_value_trend"])


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
    """The chart and the YoY table, for the rows of the company-total trend."""
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


def trend_asset_metadata(query) -> dict[str, dg.MetadataValue]:
    """The trend's metadata from the warehouse, for transform/materialization_metadata.py's extra metadata."""
    return trend_metadata(yoy_trend(query, by="total"))
