"""Standard cost history: one USD base cost per SKU, revised about once a year, set in every book currency."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from .fx import FxRates
from .products import Catalogue
from .timeline import History


def build_standard_costs(catalogue: Catalogue, currencies: list[str], fx: FxRates, history: History,
                         rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = len(catalogue)
    start = np.datetime64(history.start, "D")
    end = np.datetime64(history.end, "D")
    # The first cost is set at the first FX close of the extract, so every SKU is costed before any stock exists.
    events = [pd.DataFrame({"sku": np.arange(n), "date": np.full(n, fx.dates[0]), "factor": 1.0})]
    for year in range(history.start.year, history.end.year + 1):
        lo = max(np.datetime64(date(year, 1, 1), "D"), start)
        hi = min(np.datetime64(date(year, 12, 31), "D"), end)
        days = (hi - lo).astype(np.int64) + 1
        chosen = np.flatnonzero(rng.random(n) < days / 365)
        change = rng.uniform(0.02, 0.10, len(chosen)) * np.where(rng.random(len(chosen)) < 0.75, 1.0, -1.0)
        events.append(pd.DataFrame({
            "sku": chosen,
            "date": lo + rng.integers(0, days, len(chosen)),
            "factor": 1.0 + change,
        }))
    log = pd.concat(events, ignore_index=True).sort_values(["sku", "date"], kind="stable")
    log = log.drop_duplicates(["sku", "date"], keep="first")
    usd = catalogue.cost_usd[log["sku"].to_numpy()] * log.groupby("sku")["factor"].cumprod().to_numpy()
    sku = log["sku"].to_numpy()
    when = log["date"].to_numpy().astype("datetime64[D]")

    parts = []
    for currency in sorted(set(currencies) | {"USD"}):
        local = np.round(usd / fx.as_of(currency, when), 4)
        parts.append(pd.DataFrame({"sku": sku, "currency": currency, "date": when, "cost": local}))
    table = pd.concat(parts, ignore_index=True).sort_values(["sku", "currency", "date"], kind="stable")
    return {
        "sku_id": catalogue.ids[table["sku"].to_numpy()],
        "currency_code": table["currency"].to_numpy(dtype=object),
        "effective_date": table["date"].to_numpy().astype("datetime64[D]"),
        "standard_cost": table["cost"].to_numpy(),
    }
