"""The month-end inventory value trend with year-over-year change, read from Gold only.

Gold is the single source of truth: this module adds up Gold cells within a month (balances are
additive across warehouses and categories, never across months) and does no valuation of its own.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

import duckdb

GOLD_TABLE = "gold.gold_inventory_value_monthly"
GROUPINGS = {"total": "'TOTAL'", "region": "region", "category": "category_code"}


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


def _pct(change: Decimal | None, base: Decimal | None) -> float | None:
    if change is None or not base:
        return None
    return round(float(change / base * 100), 2)


def yoy_trend(con: duckdb.DuckDBPyConnection, by: str = "total", months: int = 36) -> list[YoYRow]:
    """The latest `months` month ends that have a prior year, oldest first."""
    if by not in GROUPINGS:
        raise ValueError(f"--by must be one of {', '.join(GROUPINGS)}, got {by!r}")
    group_expr = GROUPINGS[by]
    rows = con.execute(
        f"""
        WITH comparable AS (
            SELECT DISTINCT cur.month_key
            FROM {GOLD_TABLE} AS cur
            WHERE cur.month_key - 100 IN (SELECT month_key FROM {GOLD_TABLE})
            ORDER BY cur.month_key DESC
            LIMIT ?
        )
        SELECT month_end_date, {group_expr} AS grp,
               sum(value_usd), sum(prior_year_value_usd), sum(value_constant_currency_usd)
        FROM {GOLD_TABLE}
        WHERE month_key IN (SELECT month_key FROM comparable)
        GROUP BY month_end_date, grp
        ORDER BY month_end_date, grp
        """,
        [months],
    ).fetchall()
    result = []
    for month_end, grp, value, prior, constant in rows:
        change = value - prior if prior is not None else None
        constant_change = constant - prior if constant is not None and prior is not None else None
        result.append(YoYRow(month_end, grp, value, prior, change, _pct(change, prior),
                             constant, _pct(constant_change, prior)))
    return result


def _plain(row: YoYRow) -> dict:
    out = asdict(row)
    out["month_end_date"] = row.month_end_date.isoformat()
    for key, value in out.items():
        if isinstance(value, Decimal):
            out[key] = float(value)
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
    table.add_column("Month end")
    if by != "total":
        table.add_column(by.capitalize())
    for name in ("Value USD", "Prior year USD", "YoY", "YoY % (actual FX)", "YoY % (constant FX)"):
        table.add_column(name, justify="right")
    for r in rows:
        cells = [r.month_end_date.isoformat()] + ([r.group] if by != "total" else [])
        cells += [money(r.value_usd), money(r.prior_year_value_usd), money(r.yoy_change_usd),
                  pct(r.yoy_pct), pct(r.constant_currency_yoy_pct)]
        table.add_row(*cells)
    return table
