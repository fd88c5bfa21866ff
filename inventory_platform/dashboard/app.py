"""The executive dashboard (Streamlit): month-end inventory value against the prior year, from published Gold.

Started by `inventory-platform dashboard` or `make dev` (dashboard/server.py), on 127.0.0.1. Streamlit runs this
script again on every interaction; each run reads one published build (dashboard/gold_view.py).
"""

from __future__ import annotations

import os

import altair as alt
import pandas as pd
import streamlit as st

from inventory_platform.dashboard.gold_view import gold_view
from inventory_platform.dashboard.runbooks import runbook_markdown, runbook_names
from inventory_platform.reporting.yoy import Filters, compact_money, pct_text
from inventory_platform.serving.gold_reader import GoldNotPublished
from inventory_platform.settings import load_settings

SERIES = {"value_usd": "Value (USD)", "prior_year_value_usd": "Prior year (USD)",
          "value_constant_currency_usd": "At prior-year FX rates (USD)"}


@st.cache_data(ttl=10, show_spinner=False)
def _view(published_stamp: tuple, regions: tuple, categories: tuple, warehouses: tuple):
    # Keyed by the published file's identity: a new build is a new file (serving/published_gold.py).
    return gold_view(load_settings(), Filters(regions, categories, warehouses))


def _stamp(path) -> tuple:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return ()
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def _picked(label: str, choices: list[tuple[str, str]], key: str) -> tuple[str, ...]:
    labels = dict(choices)
    return tuple(st.sidebar.multiselect(label, [code for code, _ in choices], format_func=labels.get, key=key,
                                        placeholder="All"))


def inventory_value() -> None:
    settings = load_settings()
    st.title("Inventory value")
    try:
        everything = _view(_stamp(settings.published_gold_path), (), (), ())
    except GoldNotPublished as exc:
        st.error(str(exc))
        return
    st.sidebar.header("Filters")
    filters = Filters(_picked("Region", everything.options.regions, "region"),
                      _picked("Category", everything.options.categories, "category"),
                      _picked("Warehouse", everything.options.warehouses, "warehouse"))
    view = _view(_stamp(settings.published_gold_path), filters.regions, filters.categories, filters.warehouses)
    if view.info:
        st.caption(f"Month-end value in USD, from Gold as published by run {view.info['build_id']} at "
                   f"{view.info['published_at']:%Y-%m-%d %H:%M} UTC.")
    if not view.rows:
        st.warning("No month end with a prior year matches these filters.")
        return
    latest = view.rows[-1]
    tiles = st.columns(4)
    tiles[0].metric(f"Value, {latest.month_end_date:%b %Y}", f"USD {compact_money(latest.value_usd)}",
                    help=f"USD {latest.value_usd:,.2f}")
    tiles[1].metric("YoY", pct_text(latest.yoy_pct), help="Change on the same month end a year earlier, at each "
                    "month's own FX rates.")
    tiles[2].metric("YoY, constant currency", pct_text(latest.constant_currency_yoy_pct),
                    help="This year's stock valued at last year's FX rates against last year's value: "
                         "the change without currency movements.")
    change = view.change
    tiles[3].metric("3-year change", pct_text(change.pct) if change else "—",
                    help=(f"{change.month_end_date:%b %Y} against {change.base_month_end_date:%b %Y}: USD "
                          f"{change.base_value_usd:,.0f} → {change.value_usd:,.0f}") if change else
                    "Needs a month end three years before the latest.")

    frame = pd.DataFrame([{"month_end": r.month_end_date, **{label: float(getattr(r, field))
                                                              for field, label in SERIES.items()
                                                              if getattr(r, field) is not None}} for r in view.rows])
    long = frame.melt("month_end", var_name="series", value_name="usd")
    chart = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("month_end:T", title="Month end", axis=alt.Axis(format="%b %Y")),
        y=alt.Y("usd:Q", title="USD", axis=alt.Axis(format="~s"), scale=alt.Scale(zero=False)),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom")),
        strokeDash=alt.condition(alt.datum.series == SERIES["prior_year_value_usd"], alt.value([5, 4]), alt.value([1, 0])),
        tooltip=[alt.Tooltip("month_end:T", title="Month end"), "series:N", alt.Tooltip("usd:Q", format=",.0f")],
    ).properties(height=360)
    st.altair_chart(chart, width="stretch")

    st.subheader("By month")
    table = pd.DataFrame([{
        "Month end": r.month_end_date.isoformat(), "Value USD": f"{r.value_usd:,.0f}",
        "Prior year USD": "—" if r.prior_year_value_usd is None else f"{r.prior_year_value_usd:,.0f}",
        "YoY %": pct_text(r.yoy_pct), "YoY % const. FX": pct_text(r.constant_currency_yoy_pct),
    } for r in reversed(view.rows)])
    st.download_button("Download CSV", view.csv, file_name="inventory_value_yoy.csv", mime="text/csv")
    st.table(table, hide_index=True)


def runbook() -> None:
    name = st.query_params.get("doc", "")
    try:
        st.markdown(runbook_markdown(name))
    except KeyError:
        st.title("Runbooks")
        if name:
            st.error(f"No runbook named {name!r}.")
        for known in runbook_names():
            st.markdown(f"- [{known}](?doc={known})")


st.set_page_config(page_title="Inventory value", layout="wide")
st.navigation([st.Page(inventory_value, title="Inventory value", url_path="inventory_value", default=True),
               st.Page(runbook, title="Runbooks", url_path="runbook")]).run()
