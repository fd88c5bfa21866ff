"""The product catalogue: SKUs, their demand and cost traits, launches and the SCD2 change log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from .catalog import ADJECTIVES, BRAND_PREFIXES, BRAND_SUFFIXES, CATEGORIES, VARIANTS, category_code
from .scales import Scale
from .timeline import History

ZIPF_EXPONENT = 0.8
LAUNCHED_DURING_HISTORY = 0.15
YEARLY_CHANGE_SHARE = 0.10
EARLIEST_INTRODUCTION = date(2012, 1, 1)


@dataclass(frozen=True)
class Catalogue:
    ids: np.ndarray  # str, SKU-000001 ...
    category: np.ndarray  # initial category index; demand seasonality follows it
    launch_day: np.ndarray  # day index of the first valid_from (negative: before the history)
    popularity: np.ndarray  # Zipf weight, sums to 1
    cost_usd: np.ndarray  # base standard cost in USD at the start
    line_qty_extra: np.ndarray  # mean units per order line minus one
    case_pack: np.ndarray  # purchase orders are multiples of this
    versions: pd.DataFrame  # products landing table

    def __len__(self) -> int:
        return len(self.ids)


def _brands(rng: np.random.Generator) -> np.ndarray:
    names = np.array([p + s for p in BRAND_PREFIXES for s in BRAND_SUFFIXES])
    return names[rng.permutation(len(names))]


def _case_pack(cost: np.ndarray, unit: np.ndarray) -> np.ndarray:
    pack = np.select([cost < 5, cost < 20, cost < 60, cost < 150], [24, 12, 6, 2], default=1)
    return np.where(np.isin(unit, ("CS", "KG")), np.maximum(pack // 6, 1), pack)


def build_catalogue(scale: Scale, history: History, rng: np.random.Generator) -> Catalogue:
    n = scale.skus
    n_cat = len(CATEGORIES)
    ids = np.array([f"SKU-{i + 1:06d}" for i in range(n)])

    # Every category gets at least a few SKUs; the rest follow uneven category sizes.
    if n >= n_cat:
        sizes = rng.dirichlet(np.full(n_cat, 4.0))
        category = np.concatenate([np.arange(n_cat), rng.choice(n_cat, n - n_cat, p=sizes)])[rng.permutation(n)]
    else:
        category = np.arange(n)

    rank = rng.permutation(n) + 1
    popularity = rank ** -ZIPF_EXPONENT
    popularity /= popularity.sum()

    typical = np.array([c.typical_cost_usd for c in CATEGORIES])[category]
    cost_usd = np.clip(rng.lognormal(np.log(typical), 0.6), 1.0, 500.0)
    line_qty_extra = np.clip(1.5 * np.sqrt(10.0 / cost_usd), 0.05, 4.0)

    unit = np.empty(n, dtype=object)
    noun = np.empty(n, dtype=object)
    brand = np.empty(n, dtype=object)
    brands = _brands(rng)
    brands_per_category = max(4, min(len(brands), n // n_cat // 8))
    for c, cat in enumerate(CATEGORIES):
        members = np.flatnonzero(category == c)
        unit[members] = rng.choice(np.array(cat.units), len(members))
        noun[members] = rng.choice(np.array(cat.nouns), len(members))
        pool = brands[rng.choice(len(brands), brands_per_category, replace=False)]
        brand[members] = pool[rng.integers(0, len(pool), len(members))]
    variant = np.array([VARIANTS[u][i % len(VARIANTS[u])] for u, i in zip(unit, rng.integers(0, 100, n), strict=True)], dtype=object)
    adjective = np.array(ADJECTIVES, dtype=object)[rng.integers(0, len(ADJECTIVES), n)]
    name = brand + " " + adjective + " " + noun + " " + variant

    launched = rng.random(n) < LAUNCHED_DURING_HISTORY
    before = (history.start - EARLIEST_INTRODUCTION).days
    launch_day = np.where(
        launched,
        rng.integers(1, max(2, history.n_days - 30), n),
        -rng.integers(1, before, n),
    )
    versions = _versions(history, rng, ids, category, brand, unit, noun, variant, name, launch_day)
    return Catalogue(
        ids=ids,
        category=category,
        launch_day=launch_day,
        popularity=popularity,
        cost_usd=cost_usd,
        line_qty_extra=line_qty_extra,
        case_pack=_case_pack(cost_usd, unit),
        versions=versions,
    )


def _versions(history, rng, ids, category, brand, unit, noun, variant, name, launch_day) -> pd.DataFrame:
    """Initial rows plus ~10% of SKUs per year changing category or name; later versions carry earlier edits."""
    n = len(ids)
    start = np.datetime64(history.start, "D")
    initial = pd.DataFrame({
        "sku": np.arange(n), "valid_from": start + launch_day, "category": category, "name": name, "change": 0,
    })
    changes = []
    for year in range(history.start.year, history.end.year + 1):
        lo_year = max(np.datetime64(date(year, 1, 1), "D"), start)
        hi_year = min(np.datetime64(date(year, 12, 31), "D"), np.datetime64(history.end, "D"))
        share = YEARLY_CHANGE_SHARE * ((hi_year - lo_year).astype(int) + 1) / 365
        chosen = np.flatnonzero(rng.random(n) < share)
        lo = np.maximum(lo_year, start + launch_day[chosen] + 30)
        span = (hi_year - lo).astype(np.int64)
        ok = span > 0
        chosen, lo, span = chosen[ok], lo[ok], span[ok]
        when = lo + (rng.random(len(chosen)) * span).astype(np.int64)
        kind = np.where(rng.random(len(chosen)) < 0.5, 1, 2)  # 1 = category reassignment, 2 = rename
        if year == history.start.year and len(kind):
            kind[0] = 1  # guarantees at least one reassignment even in a tiny catalogue
        new_category = (category[chosen] + rng.integers(1, len(CATEGORIES), len(chosen))) % len(CATEGORIES)
        new_adjective = np.array(ADJECTIVES, dtype=object)[rng.integers(0, len(ADJECTIVES), len(chosen))]
        new_name = brand[chosen] + " " + new_adjective + " " + noun[chosen] + " " + variant[chosen]
        changes.append(pd.DataFrame({
            "sku": chosen, "valid_from": when,
            "category": np.where(kind == 1, new_category, -1),
            "name": np.where(kind == 2, new_name, None),
            "change": kind,
        }))
    log = pd.concat([initial, *changes], ignore_index=True)
    log = log.sort_values(["sku", "valid_from", "change"], kind="stable")
    log = log.drop_duplicates(["sku", "valid_from"], keep="first").reset_index(drop=True)
    # A change row only sets the attribute it changes; everything else carries forward from the previous version.
    log["category"] = log["category"].where(log["category"] >= 0).groupby(log["sku"]).ffill().astype(np.int64)
    log["name"] = log["name"].groupby(log["sku"]).ffill()

    sku = log["sku"].to_numpy()
    cat = log["category"].to_numpy()
    return pd.DataFrame({
        "sku_id": ids[sku],
        "product_name": log["name"].to_numpy(dtype=object),
        "category_code": np.array([category_code(i) for i in range(len(CATEGORIES))])[cat],
        "category_name": np.array([c.name for c in CATEGORIES])[cat],
        "brand": brand[sku],
        "unit_of_measure": unit[sku],
        "valid_from": log["valid_from"].to_numpy().astype("datetime64[D]"),
    })
