"""What the dashboard shows, read from published Gold through serving/gold_reader.py and reporting/yoy.py (the
same functions as `report yoy`, so the two never disagree). No Streamlit here: tests call it directly."""

from __future__ import annotations

from dataclasses import dataclass

from inventory_platform.reporting.yoy import MONTHLY, Change, Filters, YoYRow, change_over_years, group_names, render, yoy_trend
from inventory_platform.serving.gold_reader import gold_query, published_info
from inventory_platform.settings import Settings


@dataclass(frozen=True)
class Options:
    """The values each filter offers: (code, label) pairs from Gold itself."""

    regions: list[tuple[str, str]]
    categories: list[tuple[str, str]]
    warehouses: list[tuple[str, str]]


@dataclass(frozen=True)
class GoldView:
    info: dict | None
    options: Options
    rows: list[YoYRow]
    change: Change | None
    csv: str


def options(query) -> Options:
    regions = group_names(query, "region")
    categories = group_names(query, "category")
    present = query(f"SELECT DISTINCT region, category_code FROM {MONTHLY}")
    warehouses = query(f"SELECT DISTINCT warehouse_id, warehouse_name FROM {MONTHLY} ORDER BY warehouse_id")
    return Options(
        regions=[(code, f"{regions.get(code, code)} ({code})") for code in sorted({r for r, _ in present})],
        categories=[(code, f"{categories.get(code, code)} ({code})") for code in sorted({c for _, c in present})],
        warehouses=[(wid, f"{name} ({wid})") for wid, name in warehouses],
    )


def gold_view(settings: Settings, filters: Filters, months: int = 36) -> GoldView:
    """One consistent read: every number on the page comes from the same published build."""
    with gold_query(settings) as query:
        rows = yoy_trend(query, by="total", months=months, filters=filters)
        return GoldView(info=published_info(settings, query), options=options(query), rows=rows,
                        change=change_over_years(query, 3, filters), csv=render(rows, "csv", group_names(query, "total")))
