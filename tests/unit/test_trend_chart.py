"""The executive chart says what it shows: labelled axes, currency and units, current vs prior year."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import matplotlib.image
import pytest

from inventory_platform.reporting.trend_chart import money_unit, trend_chart_png, trend_figure
from inventory_platform.reporting.yoy import YoYRow


def month_ends(first: date, count: int) -> list[date]:
    ends, day = [], first
    while len(ends) < count:
        nxt = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        ends.append(nxt - timedelta(days=1))
        day = nxt
    return ends


def rows(count: int = 36, scale: float = 2.5e6) -> list[YoYRow]:
    out = []
    for i, end in enumerate(month_ends(date(2023, 1, 1), count)):
        value = Decimal(str(round(scale * (1 + 0.01 * i), 2)))
        prior = Decimal(str(round(scale * (1 + 0.01 * i) / 1.05, 2)))
        out.append(YoYRow(end, "TOTAL", value, prior, value - prior, float((value - prior) / prior * 100), value, 4.0))
    return out


@pytest.mark.parametrize("largest, expected", [(4.2e9, (1e9, "billions")), (2.5e6, (1e6, "millions")),
                                               (478_140.3, (1e3, "thousands")), (950, (1.0, ""))])
def test_money_unit_keeps_axis_numbers_short(largest, expected):
    assert money_unit(largest) == expected


def test_chart_labels_axes_currency_units_and_both_years():
    figure = trend_figure(rows())
    value_ax, yoy_ax = figure.axes
    assert value_ax.get_ylabel() == "Inventory value (USD millions)"
    assert yoy_ax.get_ylabel() == "YoY change (%)" and yoy_ax.get_xlabel() == "Month end"
    title = value_ax.get_title(loc="left")
    assert "USD millions" in title and "Jan 2023 to Dec 2025" in title and "+5.0% YoY" in title
    assert [t.get_text() for t in value_ax.get_legend().get_texts()] == ["Month-end value", "Prior year, same month"]
    current, prior = value_ax.get_lines()
    assert len(current.get_xdata()) == len(prior.get_xdata()) == 36
    assert current.get_ydata()[0] == pytest.approx(2.5) and prior.get_ydata()[0] == pytest.approx(2.5 / 1.05, abs=1e-6)
    assert len(yoy_ax.patches) == 36  # one YoY bar per month
    assert yoy_ax.get_xticklabels()[-1].get_text() == "Dec 2025"  # the latest month is labelled


def test_png_is_a_readable_image_and_deterministic():
    png = trend_chart_png(rows())
    assert png.startswith(b"\x89PNG")
    height, width, _ = matplotlib.image.imread(io.BytesIO(png)).shape
    assert (width, height) == (1100, 620)
    assert trend_chart_png(rows()) == png  # the UI and `report yoy --chart` draw byte-identical charts


def test_chart_refuses_empty_or_mixed_series():
    with pytest.raises(ValueError, match="materialize gold/gold_inventory_value_trend"):
        trend_chart_png([])
    mixed = rows(2) + [YoYRow(date(2023, 1, 31), "CAT-01", Decimal(1), None, None, None, None, None)]
    with pytest.raises(ValueError, match="one series"):
        trend_chart_png(mixed)
