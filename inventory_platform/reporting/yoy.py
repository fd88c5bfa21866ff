"""The month-end inventory value trend with year-over-year change, read from the Gold roll-ups.

Gold is the single source of truth: this module selects rows the Gold layer already computed
(gold_inventory_value_trend for the total and categories, gold_inventory_value_by_region for regions)
and does no arithmetic of its own, so no one can get a different number for the same question.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

TREND = "gold.gold_inventory_value_trend"
BY_REGION = "gold.gold_inventory_value_by_region"
_COLUMNS = ("value_usd, prior_year_value_usd, yoy_change_usd, yoy_pct, "
            "value_constant_currency_usd, constant_currency_yoy_pct")
QUERIES = {
    "total": f"SELECT month_end_date, scope, {_COLUMNS} FROM {TREND} WHERE scope = 'TOTAL'",
    "category": f"SELECT month_end_date, scope, {_COLUMNS} FROM {TREND} WHERE scope <> 'TOTAL'",
    "region": f"SELECT month_end_date, region, {_COLUMNS} FROM {BY_REGION} "
              f"WHERE month_key IN (SELECT month_key FROM {TREND} WHERE scope = 'TOTAL')",
}


@dataclass(frozen=True)
class YoYRow:
    month_end_date: date
    group: str
    value_usd: Decimal
    prior_year_value_usd: Decimal | None
    yoy_change_usd: Decimal | None
    yoy_pct: float | None
    value_constant_currency_usd: Decimal | None
    constant_currency_yoy_pct: float | None


def yoy_trend(query: Callable[[str], Sequence[tuple]], by: str = "total", months: int = 36) -> list[YoYRow]:
    """The latest `months` month ends that have a prior year, oldest first.

    `query` runs one statement on either engine (DuckDBWarehouse.query, RedshiftWarehouse.query, or a
    DuckDB connection's execute().fetchall()); the trend is a few thousand rows, so the latest months
    are picked here rather than with an engine-specific parameter style.
    """
    if by not in QUERIES:
        raise ValueError(f"--by must be one of {', '.join(QUERIES)}, got {by!r}")
    if months < 1:
        raise ValueError(f"--months must be at least 1, got {months}")
    rows = sorted(query(f"SELECT * FROM ({QUERIES[by]}) AS r"), key=lambda r: (r[0], r[1]))
    latest = set(sorted({r[0] for r in rows})[-months:])
    return [YoYRow(*row) for row in rows if row[0] in latest]


def _plain(row: YoYRow) -> dict:
    out = asdict(row)
    out["month_end_date"] = row.month_end_date.isoformat()
    for key, value in out.items():
        if isinstance(value, Decimal):
            out[key] = float(value)
        elif isinstance(value, float):
            out[key] = round(value, 4)
    return out


def render(rows: list[YoYRow], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([_plain(r) for r in rows], indent=2)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(YoYRow.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(_plain(r) for r in rows)
        return buffer.getvalue()
    raise ValueError(f"unknown format {fmt!r}")


def rich_table(rows: list[YoYRow], by: str):
    from rich.table import Table

    def money(v: Decimal | None) -> str:
        return "—" if v is None else f"{v:,.0f}"

    def pct(v: float | None) -> str:
        return "—" if v is None else f"{v:+.1f}%"

    table = Table(title=f"Month-end inventory value (USD) with YoY — by {by}")
    table.add_column("Month end", no_wrap=True)
    if by != "total":
        table.add_column(by.capitalize(), no_wrap=True)
    for name in ("Value USD", "Prior year USD", "YoY USD", "YoY %", "YoY % const. FX"):
        table.add_column(name, justify="right")
    for r in rows:
        cells = [r.month_end_date.isoformat()] + ([r.group] if by != "total" else [])
        cells += [money(r.value_usd), money(r.prior_year_value_usd), money(r.yoy_change_usd),
                  pct(r.yoy_pct), pct(r.constant_currency_yoy_pct)]
        table.add_row(*cells)
    return table
