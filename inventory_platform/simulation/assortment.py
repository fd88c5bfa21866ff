"""Which SKUs each warehouse stocks, and the demand and replenishment traits of each warehouse x SKU pair."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .catalog import CATEGORIES
from .products import Catalogue
from .scales import Scale
from .seasonality import profile_index
from .timeline import History
from .warehouses import WarehouseNetwork

SHIPMENT_SHARE = 0.86  # of ledger rows; receipts, returns, transfers, adjustments and counts make up the rest
HEAD_SHARE = 0.10  # popularity ranks within this share of the catalogue are stocked almost everywhere
A_CLASS_SHARE = 0.2  # fastest movers, counted monthly instead of quarterly
RETURN_RATES = {"Men's Apparel": 0.08, "Women's Apparel": 0.09, "Footwear": 0.07, "Jewelry & Watches": 0.04,
                "Computers & Tablets": 0.03, "Audio & Headphones": 0.03, "Smartphones & Accessories": 0.03}
DEFAULT_RETURN_RATE = 0.012


@dataclass(frozen=True)
class Assortment:
    n_skus: int
    wh: np.ndarray  # warehouse index, pairs sorted by (wh, sku)
    sku: np.ndarray
    keys: np.ndarray  # wh * n_skus + sku, ascending
    start_day: np.ndarray  # first trading day: warehouse open and SKU launched
    end_day: np.ndarray  # warehouse close day (exclusive)
    order_rate: np.ndarray  # expected order lines per day before seasonality
    line_qty_extra: np.ndarray  # mean units per line minus one
    profile: np.ndarray  # seasonality column
    case_pack: np.ndarray
    lead_days: np.ndarray
    cover_days: np.ndarray
    safety_days: np.ndarray
    return_rate: np.ndarray  # share of shipped lines that come back
    count_cycle: np.ndarray  # days between cycle counts
    count_offset: np.ndarray  # day within the cycle on which the pair is counted

    def __len__(self) -> int:
        return len(self.wh)

    def locate(self, wh: np.ndarray, sku: np.ndarray) -> np.ndarray:
        """Pair index of each (warehouse, SKU), -1 where the warehouse does not stock the SKU."""
        wanted = wh.astype(np.int64) * self.n_skus + sku
        order = np.argsort(wanted)  # sorted needles walk the keys in order: far fewer cache misses
        pos = np.empty(len(wanted), dtype=np.int64)
        pos[order] = np.searchsorted(self.keys, wanted[order])
        np.minimum(pos, len(self.keys) - 1, out=pos)
        return np.where(self.keys[pos] == wanted, pos, -1)


def build_assortment(scale: Scale, network: WarehouseNetwork, catalogue: Catalogue, history: History,
                     rng: np.random.Generator) -> Assortment:
    n_wh, n_sku = len(network), len(catalogue)
    rank = np.empty(n_sku, dtype=np.int64)
    rank[np.argsort(-catalogue.popularity, kind="stable")] = np.arange(n_sku)
    floor = scale.assortment_floor
    stock_chance = floor + (1 - floor) * np.exp(-rank / (HEAD_SHARE * n_sku))

    stocked = [rng.random(n_sku) < np.clip(stock_chance * (0.8 + 0.2 * network.size[w]), 0, 1) for w in range(n_wh)]
    for w in np.flatnonzero(network.sister >= 0):
        # the sister takes over the range of a closing warehouse, so its stock has somewhere to go
        stocked[network.sister[w]] |= stocked[w]
    wh = np.concatenate([np.full(int(s.sum()), w, dtype=np.int32) for w, s in enumerate(stocked)])
    sku = np.concatenate([np.flatnonzero(s).astype(np.int32) for s in stocked])
    n = len(wh)

    affinity = rng.lognormal(0.0, 0.35, n)  # local tastes
    weight = catalogue.popularity[sku] * network.size[wh] * affinity
    start_day = np.maximum(network.open_day[wh], catalogue.launch_day[sku])
    end_day = network.close_day[wh]
    trading_share = np.clip(np.minimum(end_day, history.n_days) - np.maximum(start_day, 0), 0, None) / history.n_days
    lines_per_day = SHIPMENT_SHARE * scale.transactions_per_day
    order_rate = weight * lines_per_day / (weight * trading_share).sum()

    category_names = [c.name for c in CATEGORIES]
    return_by_category = np.array([RETURN_RATES.get(name, DEFAULT_RETURN_RATE) for name in category_names])
    fast = order_rate >= np.quantile(order_rate, 1 - A_CLASS_SHARE)
    count_cycle = np.where(fast, 30, 90).astype(np.int32)

    return Assortment(
        n_skus=n_sku,
        wh=wh,
        sku=sku,
        keys=wh.astype(np.int64) * n_sku + sku,
        start_day=start_day.astype(np.int32),
        end_day=end_day.astype(np.int32),
        order_rate=order_rate,
        line_qty_extra=catalogue.line_qty_extra[sku],
        profile=profile_index(catalogue.category[sku], network.southern[wh]),
        case_pack=catalogue.case_pack[sku].astype(np.int32),
        lead_days=network.lead_days[wh].astype(np.int32),
        cover_days=network.cover_days[wh].astype(np.int32),
        safety_days=network.safety_days[wh].astype(np.int32),
        return_rate=return_by_category[catalogue.category[sku]],
        count_cycle=count_cycle,
        count_offset=(rng.random(n) * count_cycle).astype(np.int32),
    )
