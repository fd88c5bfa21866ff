"""The executive chart: month-end inventory value over the last 36 months with the prior year overlaid,
and YoY % beneath. One function draws it for both the Dagster UI and `report yoy --chart`."""

from __future__ import annotations

import io
from decimal import Decimal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from inventory_platform.reporting.yoy import YoYRow

_UNITS = ((1e9, "billions"), (1e6, "millions"), (1e3, "thousands"))  # unit name as in "USD millions"
CURRENT, PRIOR, UP, DOWN = "#1f5fa8", "#9aa5b1", "#2e8b57", "#c0392b"


def money_unit(largest: float) -> tuple[float, str]:
    """Divisor and unit name that keep axis numbers short (USD millions at company scale)."""
    return next(((d, name) for d, name in _UNITS if abs(largest) >= d), (1.0, ""))


def _scaled(value: Decimal | None, divisor: float) -> float:
    return float("nan") if value is None else float(value) / divisor


def trend_chart_png(rows: list[YoYRow]) -> bytes:
    """The chart as PNG bytes (the same rows give the same bytes)."""
    buffer = io.BytesIO()
    trend_figure(rows).savefig(buffer, format="png")
    return buffer.getvalue()


def trend_figure(rows: list[YoYRow], title: str = "Month-end inventory value vs prior year") -> Figure:
    """The company total: value and prior-year value per month end (USD), and YoY % bars beneath."""
    if not rows:
        raise ValueError("no Gold trend rows to chart; materialize gold/gold_inventory_value_trend first")
    if len({r.group for r in rows}) != 1:
        raise ValueError("the chart shows one series (the company total); got several groups")
    months = [r.month_end_date for r in rows]
    divisor, unit = money_unit(max(float(r.value_usd) for r in rows))
    axis_unit = f"USD {unit}".strip()
    current = [_scaled(r.value_usd, divisor) for r in rows]
    prior = [_scaled(r.prior_year_value_usd, divisor) for r in rows]
    yoy = [float("nan") if r.yoy_pct is None else r.yoy_pct for r in rows]

    # Figure + the Agg canvas directly: no pyplot global state, no display needed on a server.
    fig = Figure(figsize=(11, 6.2), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    value_ax, yoy_ax = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1.2))
    value_ax.plot(months, current, color=CURRENT, linewidth=2.2, marker="o", markersize=3.5,
                  label="Month-end value")
    value_ax.plot(months, prior, color=PRIOR, linewidth=1.8, linestyle="--",
                  label="Prior year, same month")
    value_ax.set_ylabel(f"Inventory value ({axis_unit})")
    decimals = 0 if max(current) >= 100 else 1
    value_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.{decimals}f}"))
    last = rows[-1]
    latest_yoy = "" if last.yoy_pct is None else f", {last.yoy_pct:+.1f}% YoY"
    value_ax.set_title(f"{title} ({axis_unit}, translated at month-end FX)\n"
                       f"{months[0]:%b %Y} to {months[-1]:%b %Y}; latest {months[-1]:%b %Y}: "
                       f"USD {current[-1]:,.{decimals}f} {unit.removesuffix('s')}".rstrip() + latest_yoy,
                       fontsize=12, loc="left")
    value_ax.grid(axis="y", alpha=0.3)
    value_ax.legend(loc="upper left", frameon=False)

    yoy_ax.bar(months, yoy, width=20, color=[UP if v >= 0 else DOWN for v in yoy])
    yoy_ax.axhline(0, color="#333333", linewidth=0.8)
    yoy_ax.set_ylabel("YoY change (%)")
    yoy_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+.0f}%" if round(v) else "0%"))
    yoy_ax.set_xlabel("Month end")
    yoy_ax.grid(axis="y", alpha=0.3)
    # Ticks on the plotted month ends (every third, counted back from the latest), labelled by month.
    yoy_ax.set_xticks(months[::-3][::-1])
    yoy_ax.xaxis.set_major_formatter(DateFormatter("%b %Y"))
    for side in ("top", "right"):
        value_ax.spines[side].set_visible(False)
        yoy_ax.spines[side].set_visible(False)
    return fig
