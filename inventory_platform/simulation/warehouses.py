"""The warehouse network: locations, currencies, lifecycles (openings, closures) and the SCD2 change log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from inventory_platform.landing_contract import REGIONS

from .geography import COUNTRIES, COUNTRY_BY_CODE, COVERAGE_ORDER
from .scales import Scale
from .timeline import History

NEVER = np.iinfo(np.int32).max // 2  # close day of a warehouse that stays open
WIND_DOWN_DAYS = 21  # a closing warehouse stops replenishing this long before its close date
MIN_LIFECYCLE_HISTORY_DAYS = 120  # shorter histories get no openings or closures


@dataclass(frozen=True)
class WarehouseNetwork:
    ids: np.ndarray  # str, WH-001 ...
    region: np.ndarray  # index into landing_contract.REGIONS
    currency: np.ndarray  # str
    southern: np.ndarray  # bool
    open_day: np.ndarray  # day index of open_date (negative: opened before the history)
    close_day: np.ndarray  # day index of close_date, NEVER while open
    sister: np.ndarray  # same-region warehouse that takes a closing warehouse's stock, -1 otherwise
    size: np.ndarray  # relative throughput
    lead_days: np.ndarray  # typical supplier lead time
    safety_days: np.ndarray  # safety stock in days of demand
    cover_days: np.ndarray  # days of demand an order covers
    versions: dict[str, list]  # warehouses landing table columns

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def currencies_in_use(self) -> list[str]:
        return sorted(set(self.currency.tolist()))


def _countries(n: int, rng: np.random.Generator) -> list[str]:
    """One warehouse per country in coverage order, the rest split by network weight (largest remainder)."""
    codes = list(COVERAGE_ORDER[:n])
    extra = n - len(codes)
    if extra > 0:
        weights = np.array([c.weight for c in COUNTRIES])
        quota = weights / weights.sum() * n - 1  # every country already has one
        share = np.clip(quota, 0, None) / np.clip(quota, 0, None).sum() * extra
        count = np.floor(share).astype(int)
        count[np.argsort(-(share - count), kind="stable")[: extra - count.sum()]] += 1
        more = np.repeat([c.code for c in COUNTRIES], count)
        codes += more[rng.permutation(len(more))].tolist()
    return codes


def _names(codes: list[str], rng: np.random.Generator) -> tuple[list[str], list[str]]:
    used: dict[str, int] = {}
    cities, names = [], []
    for code in codes:
        city = COUNTRY_BY_CODE[code].cities[int(rng.integers(len(COUNTRY_BY_CODE[code].cities)))]
        used[city] = used.get(city, 0) + 1
        cities.append(city)
        names.append(f"{city} Distribution Center" + (f" {used[city]}" if used[city] > 1 else ""))
    return cities, names


def _lifecycles(region: np.ndarray, history: History, rng: np.random.Generator):
    n = len(region)
    open_day = -rng.integers(60, 6000, size=n)
    close_day = np.full(n, NEVER, dtype=np.int64)
    sister = np.full(n, -1, dtype=np.int64)
    if history.n_days < MIN_LIFECYCLE_HISTORY_DAYS:
        return open_day, close_day, sister

    n_close = max(1, round(0.04 * n))
    n_open = max(1, round(0.06 * n))
    protected = np.zeros(n, dtype=bool)  # sisters must stay open for the whole history
    closing: list[int] = []
    for w in rng.permutation(n):
        if len(closing) == n_close:
            break
        if protected[w]:
            continue
        candidates = [s for s in range(n) if region[s] == region[w] and s != w and s not in closing]
        if not candidates:
            continue
        s = candidates[int(rng.integers(len(candidates)))]
        closing.append(int(w))
        sister[w] = s
        protected[s] = True
    for w in closing:
        lo, hi = int(0.55 * history.n_days), history.n_days - 30
        close_day[w] = rng.integers(lo, hi)

    openers = [w for w in rng.permutation(n) if not protected[w] and w not in closing][:n_open]
    for w in openers:
        open_day[w] = rng.integers(int(0.05 * history.n_days), int(0.75 * history.n_days))
    return open_day, close_day, sister


def build_warehouses(scale: Scale, history: History, rng: np.random.Generator) -> WarehouseNetwork:
    n = scale.warehouses
    codes = _countries(n, rng)
    countries = [COUNTRY_BY_CODE[c] for c in codes]
    region = np.array([REGIONS.index(c.region) for c in countries])
    cities, names = _names(codes, rng)
    open_day, close_day, sister = _lifecycles(region, history, rng)
    backorder = rng.random(n) < 0.08
    if not backorder.any():
        backorder[rng.integers(n)] = True  # keep the flag exercised even in a tiny network

    ids = [f"WH-{i + 1:03d}" for i in range(n)]
    start = history.start
    rows: dict[str, list] = {k: [] for k in ("warehouse_id", "warehouse_name", "region", "country_code", "city",
                                             "currency_code", "open_date", "close_date", "allows_backorder",
                                             "valid_from")}

    def add(w: int, name: str, allows_backorder: bool, valid_from: date) -> None:
        open_date = start + timedelta(days=int(open_day[w]))
        rows["warehouse_id"].append(ids[w])
        rows["warehouse_name"].append(name)
        rows["region"].append(countries[w].region)
        rows["country_code"].append(codes[w])
        rows["city"].append(cities[w])
        rows["currency_code"].append(countries[w].currency)
        rows["open_date"].append(open_date)
        rows["close_date"].append(None if close_day[w] == NEVER else start + timedelta(days=int(close_day[w])))
        rows["allows_backorder"].append(bool(allows_backorder))
        rows["valid_from"].append(valid_from)

    changed = set(rng.choice(n, size=max(1, round(0.1 * n)), replace=False).tolist())
    for w in range(n):
        add(w, names[w], backorder[w], start + timedelta(days=int(open_day[w])))
        if w not in changed:
            continue
        lo = max(int(open_day[w]), 0) + 30
        hi = min(int(close_day[w]), history.n_days) - 1
        if hi <= lo:
            continue
        change_date = start + timedelta(days=int(rng.integers(lo, hi)))
        if rng.random() < 0.7:
            add(w, names[w].replace("Distribution Center", "Fulfillment Center"), backorder[w], change_date)
        else:
            add(w, names[w], not backorder[w], change_date)

    return WarehouseNetwork(
        ids=np.array(ids),
        region=region,
        currency=np.array([c.currency for c in countries]),
        southern=np.array([c.southern_hemisphere for c in countries]),
        open_day=open_day,
        close_day=close_day,
        sister=sister,
        size=np.clip(rng.lognormal(0.0, 0.35, n), 0.4, 2.5),
        lead_days=rng.integers(2, 7, n),
        safety_days=rng.integers(3, 7, n),
        cover_days=rng.integers(10, 22, n),
        versions=rows,
    )
