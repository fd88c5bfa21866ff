"""The month-end inventory value trend with year-over-year change, read from Gold.

Gold is the single source of truth. Without filters this module selects rows the Gold roll-ups already
computed (gold_inventory_value_trend for the total and categories, gold_inventory_value_by_region for
regions). With filters (the dashboard's regions, categories, warehouses) it sums the cell-level
gold_inventory_value_monthly within each month exactly as those roll-ups do (same sums, same YoY rule:
dbt_project/macros/metrics.sql), and tests/e2e/test_platform_tiny.py holds the two paths equal, field for field.
Balances are never summed across months.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

from inventory_platform.landing_contract import REGION_NAMES

TREND = "gold.gold_inventory_value_trend"
BY_REGION = "gold.gold_inventory_value_by_region"
MONTHLY = "gold.gold_inventory_value_monthly"
_COLUMNS = ("value_usd, prior_year_value_usd, yoy_change_usd, yoy_pct, "
            "value_constant_currency_usd, constant_currency_yoy_pct")
QUERIES = {
    "total": f"SELECT month_end_date, scope, {_COLUMNS} FROM {TREND} WHERE scope = 'TOTAL'",
    "category": f"SELECT month_end_date, scope, {_COLUMNS} FROM {TREND} WHERE scope <> 'TOTAL'",
    "region": f"SELECT month_end_date, region, {_COLUMNS} FROM {BY_REGION} "
              f"WHERE month_key IN (SELECT month_key FROM {TREND} WHERE scope = 'TOTAL')",
}


# A statement runner on either engine: query(sql) or query(sql, params) with `?` placeholders.
Query = Callable[..., Sequence[tuple]]
GROUP_COLUMN = {"total": "'TOTAL'", "region": "region", "category": "category_code"}


@dataclass(frozen=True)
class Filters:
    """The dashboard's and `report yoy`'s selection; empty means the whole company."""

    regions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    warehouses: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.regions or self.categories or self.warehouses)

    def where(self) -> tuple[str, list[str]]:
        """SQL conditions on gold_inventory_value_monthly with their parameters."""
        clauses, params = [], []
        for column, values in (("region", self.regions), ("category_code", self.categories),
                               ("warehouse_id", self.warehouses)):
            if values:
                clauses.append(f"{column} IN ({', '.join('?' for _ in values)})")
                params += list(values)
        return " AND ".join(clauses) or "TRUE", params


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


def yoy_trend(query: Query, by: str = "total", months: int = 36, filters: Filters = Filters()) -> list[YoYRow]:
    """The latest `months` month ends that have a prior year, oldest first.

    `query` runs one statement on either engine (DuckDBWarehouse.query, RedshiftWarehouse.query, or a
    DuckDB connection's execute().fetchall()); the trend is a few thousand rows, so the latest months
    are picked here rather than with an engine-specific parameter style.
    """
    if by not in QUERIES:
        raise ValueError(f"--by must be one of {', '.join(QUERIES)}, got {by!r}")
    if months < 1:
        raise ValueError(f"--months must be at least 1, got {months}")
    if filters:
        where, params = filters.where()
        rows = query(_filtered_sql(by, where), params)
    else:
        rows = query(f"SELECT * FROM ({QUERIES[by]}) AS r")
    rows = sorted(rows, key=lambda r: (r[0], r[1]))
    latest = set(sorted({r[0] for r in rows})[-months:])
    return [YoYRow(*row) for row in rows if row[0] in latest]


def _pct_sql(current: str, base: str) -> str:
    # dbt_project/macros/metrics.sql yoy_pct, on the same sums: the same double on every engine.
    return (f"CASE WHEN {base} IS NULL OR {base} = 0 THEN NULL "
            f"ELSE CAST(({current}) - ({base}) AS DOUBLE PRECISION) / CAST({base} AS DOUBLE PRECISION) * 100 END")


def _filtered_sql(by: str, where: str) -> str:
    """The roll-ups' own arithmetic over the selected cells, for the months the trend holds."""
    return (
        f"SELECT month_end_date, {GROUP_COLUMN[by]} AS grp, "
        "CAST(sum(value_usd) AS DECIMAL(18, 2)), CAST(sum(prior_year_value_usd) AS DECIMAL(18, 2)), "
        "CAST(sum(value_usd) - sum(prior_year_value_usd) AS DECIMAL(18, 2)), "
        f"{_pct_sql('sum(value_usd)', 'sum(prior_year_value_usd)')}, "
        "CAST(sum(value_constant_currency_usd) AS DECIMAL(18, 2)), "
        f"{_pct_sql('sum(value_constant_currency_usd)', 'sum(prior_year_value_usd)')} "
        f"FROM {MONTHLY} WHERE month_key IN (SELECT month_key FROM {TREND} WHERE scope = 'TOTAL') AND {where} "
        f"GROUP BY month_end_date, {GROUP_COLUMN[by]}")


@dataclass(frozen=True)
class Change:
    """Latest month-end value against the same month end `years` earlier (the three-year change)."""

    month_end_date: date
    value_usd: Decimal
    base_month_end_date: date
    base_value_usd: Decimal
    pct: float | None


def change_over_years(query: Query, years: int = 3, filters: Filters = Filters()) -> Change | None:
    """None when the history holds no month end `years` before the latest."""
    where, params = filters.where()
    rows = query(f"SELECT month_end_date, month_key, CAST(sum(value_usd) AS DECIMAL(18, 2)) FROM {MONTHLY} "
                 f"WHERE {where} GROUP BY month_end_date, month_key", params)
    by_key = {key: (day, value) for day, key, value in rows}
    if not by_key:
        return None
    latest = max(by_key)
    base_key = latest - 100 * years  # month_key is YYYYMM (dbt_project/macros/calendar.sql)
    if base_key not in by_key:
        return None
    (day, value), (base_day, base_value) = by_key[latest], by_key[base_key]
    pct = None if not base_value else float((value - base_value) / base_value * 100)
    return Change(day, value, base_day, base_value, pct)


def group_names(query: Query, by: str) -> dict[str, str]:
    """Display names beside codes: category names from Gold, region names from the landing contract."""
    if by == "category":
        return dict(query(f"SELECT DISTINCT scope, scope_name FROM {TREND} WHERE scope <> 'TOTAL'"))
    if by == "region":
        return dict(REGION_NAMES)
    return {"TOTAL": "Company total"}


def _plain(row: YoYRow) -> dict:
    out = asdict(row)
    out["month_end_date"] = row.month_end_date.isoformat()
    for key, value in out.items():
        if isinstance(value, Decimal):
            out[key] = float(value)
        elif isinstance(value, float):
            out[key] = round(value, 4)
    return out


def render(rows: list[YoYRow], fmt: str, names: dict[str, str] | None = None) -> str:
    """JSON or CSV; with `names` (group_names) each row also carries its group's display name."""
    plain = [_plain(r) | ({"group_name": names.get(r.group, r.group)} if names is not None else {}) for r in rows]
    if fmt == "json":
        return json.dumps(plain, indent=2)
    if fmt == "csv":
        buffer = io.StringIO()
        fields = list(YoYRow.__dataclass_fields__)
        writer = csv.DictWriter(buffer, fieldnames=fields[:2] + ["group_name"] * (names is not None) + fields[2:])
        writer.writeheader()
        writer.writerows(plain)
        return buffer.getvalue()
    raise ValueError(f"unknown format {fmt!r}")


def compact_money(v: Decimal | None) -> str:
    """12.3M-style, for narrow terminals and KPI tiles; exact amounts stay in CSV and JSON."""
    if v is None:
        return "—"
    for unit, size in (("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if abs(v) >= size:
            return f"{v / size:,.1f}{unit}"
    return f"{v:,.0f}"


def pct_text(v: float | None) -> str:
    return "—" if v is None else f"{v:+.1f}%"


def rich_table(rows: list[YoYRow], by: str, names: dict[str, str] | None = None, width: int = 120):
    """The widest layout that fits `width` columns without cutting a number: full amounts, else compact
    amounts (12.3M), else without the prior-year and YoY-USD columns. Numbers never wrap; headers wrap at
    spaces and a long group name wraps in the width left over."""
    from rich.table import Table

    layouts = [(False, False), (True, False), (True, True)]
    for compact, narrow in layouts:
        columns = _columns(rows, by, names or {}, compact, narrow)
        # Every column but the group's at its widest cell or header word; each column adds padding and a border.
        fixed = {name: max(len(c) for c in [*cells, *name.split()]) for name, cells in columns if name != by.capitalize()}
        left = width - sum(fixed.values()) - 3 * len(columns) - 1
        if by == "total" and left >= 0 or by != "total" and left >= 12 or (compact, narrow) == layouts[-1]:
            break
    table = Table(title=f"Month-end inventory value (USD) with YoY — by {by}", title_justify="left")
    for name, cells in columns:
        if name in fixed:
            table.add_column(name, justify="left" if name == "Month end" else "right", width=fixed[name])
        else:
            table.add_column(name, width=max(12, min(left, max(len(c) for c in cells))), overflow="fold")
    for row in zip(*(cells for _, cells in columns), strict=True):
        table.add_row(*row)
    return table


def _columns(rows: list[YoYRow], by: str, names: dict[str, str], compact: bool, narrow: bool) -> list[tuple[str, list[str]]]:
    money = compact_money if compact else (lambda v: "—" if v is None else f"{v:,.0f}")
    columns = [("Month end", [r.month_end_date.isoformat() for r in rows])]
    if by != "total":
        columns.append((by.capitalize(), [f"{names[r.group]} ({r.group})" if names.get(r.group, r.group) != r.group
                                          else r.group for r in rows]))
    columns.append(("Value USD", [money(r.value_usd) for r in rows]))
    if not narrow:
        columns += [("Prior year USD", [money(r.prior_year_value_usd) for r in rows]),
                    ("YoY USD", [money(r.yoy_change_usd) for r in rows])]
    return columns + [("YoY %", [pct_text(r.yoy_pct) for r in rows]),
                      ("YoY % const. FX", [pct_text(r.constant_currency_yoy_pct) for r in rows])]
