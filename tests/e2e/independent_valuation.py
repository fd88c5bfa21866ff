"""Gold inventory value recomputed from the landing files with pandas and exact Decimals.

Deliberately shares no code or SQL with the platform: it reads the raw files, rolls balances forward
per warehouse x SKU, looks up the attributes, cost and rate in force at each month end with
merge_asof, and rounds each Gold cell to the cent (half up) like a ledger would.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

CENT = Decimal("0.01")


def _read(landing: Path, table: str) -> pd.DataFrame:
    files = sorted((landing / table).rglob("*.parquet"))
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def _month_end(values: pd.Series) -> pd.Series:
    return (pd.to_datetime(values) + pd.offsets.MonthEnd(0)).dt.normalize()


def _as_of(left: pd.DataFrame, right: pd.DataFrame, on_left: str, on_right: str, by: list[str]) -> pd.DataFrame:
    """For each left row, the right row with the latest on_right <= on_left within the same `by` group."""
    right = right.assign(**{on_right: pd.to_datetime(right[on_right])}).sort_values(on_right)
    left = left.sort_values(on_left)
    return pd.merge_asof(left, right, left_on=on_left, right_on=on_right, by=by, direction="backward")


def month_end_balances(landing: Path) -> pd.DataFrame:
    tx = _read(landing, "inventory_transactions")
    tx["month_end"] = _month_end(tx["event_ts"])
    opening = _read(landing, "opening_balances")
    opening["month_end"] = _month_end(opening["as_of_date"])

    moves = tx.groupby(["warehouse_id", "sku_id", "month_end"]).agg(net=("quantity", "sum"), moves=("quantity", "size"))
    start = opening.set_index(["warehouse_id", "sku_id", "month_end"])["quantity_on_hand"].rename("opening")
    flows = moves.join(start, how="outer").fillna(0)
    months = sorted(flows.index.get_level_values("month_end").unique())
    months = [m for m in months if m <= tx["month_end"].max()]

    net = (flows["net"] + flows["opening"]).unstack("month_end").reindex(columns=months).fillna(0)
    moved = flows["moves"].unstack("month_end").reindex(columns=months).fillna(0)
    started = (flows["net"] + flows["opening"] != 0) | (flows["moves"] > 0) | (flows["opening"] != 0)
    first = started[started].reset_index().groupby(["warehouse_id", "sku_id"])["month_end"].min()

    balance = net.cumsum(axis=1)
    frame = pd.DataFrame({
        "quantity": balance.stack(),
        "moves": moved.stack(),
    }).reset_index()
    frame = frame.merge(first.rename("first_month").reset_index(), on=["warehouse_id", "sku_id"])
    frame = frame[(frame["month_end"] >= frame["first_month"]) & ((frame["quantity"] != 0) | (frame["moves"] > 0))]
    return frame[["warehouse_id", "sku_id", "month_end", "quantity"]].astype({"quantity": "int64"})


def expected_gold_cells(landing: Path) -> pd.DataFrame:
    """One row per month_end x warehouse x category with value_usd and constant-currency value, to the cent,
    and the units of SKUs without a cost in force (unvalued_quantity)."""
    balances = month_end_balances(landing)
    warehouses = _read(landing, "warehouses")[["warehouse_id", "valid_from", "currency_code"]]
    products = _read(landing, "products")[["sku_id", "valid_from", "category_code"]]
    costs = _read(landing, "standard_costs")
    fx = _read(landing, "fx_rates")

    rows = _as_of(balances, warehouses, "month_end", "valid_from", ["warehouse_id"]).drop(columns="valid_from")
    rows = _as_of(rows, products, "month_end", "valid_from", ["sku_id"]).drop(columns="valid_from")
    rows = _as_of(rows, costs, "month_end", "effective_date", ["sku_id", "currency_code"])
    rows = _as_of(rows, fx.rename(columns={"usd_per_unit": "rate"}), "month_end", "rate_date", ["currency_code"])
    rows["prior_month_end"] = (rows["month_end"] - pd.offsets.MonthEnd(12)).dt.normalize()
    prior_fx = fx.rename(columns={"usd_per_unit": "prior_rate", "rate_date": "prior_rate_date"})
    rows = _as_of(rows, prior_fx, "prior_month_end", "prior_rate_date", ["currency_code"])
    # The closing rate of a month is its last business day's rate: none if that month had no rate.
    no_prior_rate = _month_end(rows["prior_rate_date"]) != rows["prior_month_end"]
    rows["prior_rate"] = rows["prior_rate"].astype(object).where(~no_prior_rate, None)

    # Stock of a SKU with no cost in force is unvalued: counted in quantity, in no value, and apart.
    valued = rows["standard_cost"].notna()
    rows["unvalued_quantity"] = rows["quantity"].where(~valued, 0)
    value_local = [Decimal(int(q)) * c if ok else Decimal(0)
                   for q, c, ok in zip(rows["quantity"], rows["standard_cost"], valued, strict=True)]
    rows["value_usd"] = [v * r for v, r in zip(value_local, rows["rate"], strict=True)]
    rows["value_cc"] = [v * r if isinstance(r, Decimal) else None for v, r in zip(value_local, rows["prior_rate"], strict=True)]

    def total(values: pd.Series):
        present = [v for v in values if v is not None]
        return sum(present, Decimal(0)).quantize(CENT, ROUND_HALF_UP) if present else None

    cells = rows.groupby(["month_end", "warehouse_id", "category_code"]).agg(
        quantity=("quantity", "sum"), value_usd=("value_usd", total), value_cc=("value_cc", total),
        unvalued_quantity=("unvalued_quantity", "sum")).reset_index()
    return cells


def expected_monthly_totals(cells: pd.DataFrame) -> dict[pd.Timestamp, dict[str, Decimal | None]]:
    totals = {}
    for month, group in cells.groupby("month_end"):
        cc = [v for v in group["value_cc"] if v is not None]
        totals[month] = {"value_usd": sum(group["value_usd"], Decimal(0)),
                         "value_cc": sum(cc, Decimal(0)) if cc else None}
    for month, t in totals.items():
        prior = totals.get((month - pd.offsets.MonthEnd(12)).normalize())
        t["prior_year_value_usd"] = prior["value_usd"] if prior else None
    return totals
