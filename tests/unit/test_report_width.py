"""`report yoy` fits the terminal it prints to: every number whole, names beside codes, no line too wide."""

from datetime import date
from decimal import Decimal

import pytest
from rich.console import Console

from inventory_platform.reporting.yoy import YoYRow, compact_money, rich_table

NAMES = {"CAT-01": "Consumer Electronics & Accessories", "CAT-02": "Home"}


def rows() -> list[YoYRow]:
    return [YoYRow(date(2025, m, 28), code, Decimal("1234567890.12") * m, Decimal("987654321.98"),
                   Decimal("246913568.14") * m, 24.9963, Decimal("1200000000.00"), -3.25)
            for m in (1, 2) for code in NAMES]


def printed(width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(rich_table(rows(), "category", NAMES, width=console.width))
    return console.export_text().splitlines()


@pytest.mark.parametrize("width", [72, 80, 100, 140])
def test_every_line_fits_and_every_number_is_whole(width):
    lines = printed(width)
    assert max(len(line) for line in lines) <= width
    text = "\n".join(lines)
    money = (lambda v: f"{v:,.0f}") if width >= 100 else compact_money
    for r in rows():
        assert money(r.value_usd) in text
        assert "+25.0%" in text and "-3.2%" in text
    assert "…" not in text


def test_categories_show_their_names_beside_their_codes():
    text = "\n".join(printed(140))
    assert "Home (CAT-02)" in text and "Consumer Electronics & Accessories (CAT-01)" in text


def test_narrow_terminals_drop_prior_year_columns_but_keep_value_and_both_yoy():
    header = "\n".join(printed(72)[:6])  # headers wrap at spaces
    assert "Prior" not in header and "Value" in header and "YoY %" in header and "const." in header
    assert "Prior" in "\n".join(printed(80)[:6])


def test_compact_money():
    assert [compact_money(Decimal(v)) for v in ("1234567890", "-45600000", "999", "12500")] == \
        ["1.2B", "-45.6M", "999", "12.5K"]
