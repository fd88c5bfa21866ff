"""The stock ledger, simulated one day at a time with numpy across all warehouse x SKU pairs.

Within a day, movements happen in phases with disjoint time-of-day windows, and every quantity is capped
using the stock left by the earlier phases, so on-hand stays non-negative after every single movement
when the ledger is replayed in event_ts order (not just at the end of each day).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inventory_platform.landing_contract import MOVEMENT_SIGNS

from .assortment import Assortment
from .seasonality import Seasonality
from .timeline import History, weekday_of
from .warehouses import WIND_DOWN_DAYS, WarehouseNetwork

MOVEMENT_TYPES = tuple(MOVEMENT_SIGNS)
CODE = {m: i for i, m in enumerate(MOVEMENT_TYPES)}

HOUR = 3600
WINDOWS = {  # seconds of the (UTC) day in which each phase happens
    "RECEIPT": (4 * HOUR, 9 * HOUR),
    "TRANSFER": (9 * HOUR, 10 * HOUR),
    "RETURN": (10 * HOUR, 12 * HOUR),
    "SHIPMENT": (12 * HOUR, 22 * HOUR),
    "ADJUSTMENT": (22 * HOUR, 23 * HOUR),
    "CYCLE_COUNT": (23 * HOUR, 24 * HOUR),
}
LEAD_JITTER_DAYS = 3
# longest warehouse lead time (6) + longest jitter (2) + a Sunday delivery moved to Monday (1)
MAX_LEAD_DAYS = 6 + (LEAD_JITTER_DAYS - 1) + 1
POLICY_REVIEW_DAYS = 7  # reorder points and order-up-to levels are re-planned weekly
TRANSFER_SHARE = 0.006  # transfers per ledger row (each makes two rows)
ADJUSTMENT_SHARE = 0.008
COUNT_VARIANCE_CHANCE = 0.12
REFERENCE_PREFIX = {"RECEIPT": "PO", "SHIPMENT": "SO", "TRANSFER_OUT": "TR", "TRANSFER_IN": "TR", "RETURN": "RMA",
                    "ADJUSTMENT": "ADJ", "CYCLE_COUNT": "CC"}
REFERENCE_DIGITS = 10
NUMBERED_IN_TIME_ORDER = ("SHIPMENT", "ADJUSTMENT")  # document numbers follow the clock within a day
_PREFIXES = pa.array([f"{REFERENCE_PREFIX[m]}-" for m in MOVEMENT_TYPES], pa.string())


@dataclass(frozen=True)
class DayMovements:
    transaction_id: np.ndarray
    second: np.ndarray  # second of the day, UTC
    pair: np.ndarray
    movement: np.ndarray  # index into MOVEMENT_TYPES
    quantity: np.ndarray
    number: np.ndarray  # document number; the reference_id is the movement's prefix and this number

    def __len__(self) -> int:
        return len(self.pair)

    def reference(self) -> pa.Array:
        """reference_id strings such as SO-0000012345 (built by the writer's thread, off the simulation's)."""
        digits = pc.utf8_lpad(pc.cast(pa.array(self.number), pa.string()), width=REFERENCE_DIGITS, padding="0")
        return pc.binary_join_element_wise(_PREFIXES.take(pa.array(self.movement)), digits, "")


@dataclass(frozen=True)
class DayParts:
    """A day's movements phase by phase, with their transaction ids and time-ordered document numbers already
    reserved by the ledger; movements() puts them in time order (on the writer's thread, off the simulation's)."""

    parts: list  # (movement type, pair, quantity, second of day, document number or None to number after sorting)
    first_transaction_id: int
    first_number: dict[str, int]  # first number reserved for each of NUMBERED_IN_TIME_ORDER

    def __len__(self) -> int:
        return sum(len(p[1]) for p in self.parts)

    def movements(self) -> DayMovements:
        parts = self.parts
        movement = np.concatenate([np.full(len(p[1]), CODE[p[0]], dtype=np.int8) for p in parts])
        pair = np.concatenate([p[1] for p in parts]).astype(np.int64, copy=False)
        qty = np.concatenate([p[2] for p in parts]).astype(np.int64, copy=False)
        second = np.concatenate([p[3] for p in parts]).astype(np.int64, copy=False)
        number = np.concatenate([np.zeros(len(p[1]), np.int64) if p[4] is None else p[4] for p in parts])
        order = _stable_order(second)
        movement, pair, qty, second, number = movement[order], pair[order], qty[order], second[order], number[order]
        for name in NUMBERED_IN_TIME_ORDER:
            rows = np.flatnonzero(movement == CODE[name])
            number[rows] = np.arange(self.first_number[name], self.first_number[name] + len(rows), dtype=np.int64)
        ids = np.arange(self.first_transaction_id, self.first_transaction_id + len(order), dtype=np.int64)
        return DayMovements(transaction_id=ids, second=second, pair=pair, movement=movement, quantity=qty,
                            number=number)


def _grouped_by_day(book: dict[int, list], day: np.ndarray, *columns: np.ndarray) -> None:
    order = np.argsort(day, kind="stable")
    day = day[order]
    bounds = np.flatnonzero(np.diff(day)) + 1
    for chunk in np.split(np.arange(len(day)), bounds):
        if len(chunk):
            book.setdefault(int(day[chunk[0]]), []).append(tuple(c[order[chunk]] for c in columns))


def _stable_order(second: np.ndarray) -> np.ndarray:
    """np.argsort(second, kind="stable") for seconds of a day, as two 16-bit radix passes (numpy sorts 16-bit
    keys stably by radix, several times faster than a merge sort of int64)."""
    low = np.argsort((second & 0xFFFF).astype(np.uint16), kind="stable")
    return low[np.argsort((second[low] >> 16).astype(np.uint16), kind="stable")]


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique(values) for a 1-d array; numpy 2's hash-based unique is several times slower on large ones."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values


def _book_arrays(name: str, book: dict[int, list]) -> dict[str, np.ndarray]:
    """A book as flat arrays: its days, the row count of each, and each column's rows in day order."""
    days = sorted(book)
    columns = [_concatenated(book[d]) for d in days]
    arrays = {f"{name}_days": np.array(days, dtype=np.int64),
              f"{name}_counts": np.array([len(c[0]) for c in columns], dtype=np.int64)}
    for i in range(3):
        arrays[f"{name}_{i}"] = np.concatenate([c[i] for c in columns]) if columns else np.zeros(0, dtype=np.int64)
    return arrays


def _book_from_arrays(name: str, arrays: dict[str, np.ndarray]) -> dict[int, list]:
    bounds = np.cumsum(arrays[f"{name}_counts"])[:-1]
    parts = [np.split(arrays[f"{name}_{i}"], bounds) for i in range(3)]
    return {int(d): [tuple(p[k] for p in parts)] for k, d in enumerate(arrays[f"{name}_days"])}


def _concatenated(chunks: list) -> tuple[np.ndarray, ...]:
    return tuple(np.concatenate([c[i] for c in chunks]) for i in range(len(chunks[0])))


def _pop(book: dict[int, list], t: int, n_columns: int) -> tuple[np.ndarray, ...]:
    chunks = book.pop(t, [])
    if not chunks:
        return tuple(np.zeros(0, dtype=np.int64) for _ in range(n_columns))
    return _concatenated(chunks)


class Ledger:
    def __init__(self, assortment: Assortment, network: WarehouseNetwork, history: History,
                 seasonality: Seasonality, transactions_per_day: int, rng: np.random.Generator):
        self.a = assortment
        self.network = network
        self.history = history
        self.season = seasonality
        self.rng = rng
        n = len(assortment)
        self.weekday = weekday_of(history.days)
        self.on_hand = np.zeros(n, dtype=np.int64)
        self.on_order = np.zeros(n, dtype=np.int64)
        self.arrivals: dict[int, list] = {}  # day -> [(pair, qty, po number)]
        self.returns: dict[int, list] = {}  # day -> [(pair, qty, rma number)]
        self.counters = dict.fromkeys(REFERENCE_PREFIX.values(), 0)
        self.next_transaction_id = 1
        self.max_transfers = max(1, round(TRANSFER_SHARE * transactions_per_day))
        self.max_adjustments = max(1, round(ADJUSTMENT_SHARE * transactions_per_day))
        self.order_from = assortment.start_day - MAX_LEAD_DAYS
        self.order_until = assortment.end_day - 1 - WIND_DOWN_DAYS
        self.drain_days = {int(d) for d in network.close_day[network.close_day < history.n_days] - 1}
        self._policy_day = -1
        # constant parts of the weekly plan, and per-day work arrays reused so that no day pays for fresh pages
        self.profile = assortment.profile.astype(np.intp)  # np.take with intp indices and mode="clip" is unbuffered
        self.demand_base = assortment.order_rate * (1 + assortment.line_qty_extra)
        self.lead_and_safety = assortment.lead_days + assortment.safety_days
        self.reorder_point = np.zeros(n, dtype=np.int64)
        self.order_up_to = np.zeros(n, dtype=np.int64)
        self._real = np.empty(n, dtype=np.float64)
        self._demand = np.empty(n, dtype=np.float64)
        self._whole = np.empty(n, dtype=np.int64)
        self._selling = np.empty(n, dtype=bool)
        self._flag = np.empty(n, dtype=bool)

        regions = network.region
        self.region_size = np.bincount(regions, minlength=3)
        self.region_members = np.full((3, max(1, self.region_size.max())), -1, dtype=np.int64)
        for r in range(3):
            members = np.flatnonzero(regions == r)
            self.region_members[r, :len(members)] = members

        order = np.lexsort((np.arange(n), assortment.count_offset, assortment.count_cycle))
        keys = assortment.count_cycle[order].astype(np.int64) * 1000 + assortment.count_offset[order]
        bounds = np.flatnonzero(np.diff(keys)) + 1
        self.count_groups = {int(keys[g[0]]): order[g] for g in np.split(np.arange(n), bounds) if len(g)}

    # ---- checkpoint -----------------------------------------------------------------------------------
    def checkpoint_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """Everything that changes from day to day (the random stream is saved by the caller)."""
        scalars = {"counters": self.counters, "next_transaction_id": self.next_transaction_id,
                   "policy_day": self._policy_day}
        arrays = {"on_hand": self.on_hand, "on_order": self.on_order,
                  **_book_arrays("arrivals", self.arrivals), **_book_arrays("returns", self.returns)}
        return scalars, arrays

    def restore(self, scalars: dict, arrays: dict[str, np.ndarray]) -> None:
        self.counters = dict(scalars["counters"])
        self.next_transaction_id = scalars["next_transaction_id"]
        self.on_hand = arrays["on_hand"].copy()
        self.on_order = arrays["on_order"].copy()
        self.arrivals = _book_from_arrays("arrivals", arrays)
        self.returns = _book_from_arrays("returns", arrays)
        self._policy_day = -1
        if scalars["policy_day"] >= 0:
            self._plan(scalars["policy_day"])  # the policy is a pure function of its day

    # ---- planning -------------------------------------------------------------------------------------
    def _plan(self, t: int) -> None:
        if self._policy_day >= 0 and t - self._policy_day < POLICY_REVIEW_DAYS:
            return
        a, x = self.a, self._real
        # reorder_point = max(1, ceil(units_per_day * (lead + safety days))), order_up_to = reorder_point +
        # max(case pack, ceil(units_per_day * cover days)), where units_per_day = demand_base * forward season
        units_per_day = np.take(self.season.forward[t], self.profile, out=self._demand, mode="clip")
        units_per_day *= self.demand_base
        np.multiply(units_per_day, self.lead_and_safety, out=x)
        np.ceil(x, out=x)
        np.maximum(x, 1, out=x)
        self.reorder_point[:] = x
        np.multiply(units_per_day, a.cover_days, out=x)
        np.ceil(x, out=x)
        np.maximum(x, a.case_pack, out=x)
        self.order_up_to[:] = x
        self.order_up_to += self.reorder_point
        self._policy_day = t

    def opening_balances(self) -> np.ndarray:
        """Stock at the close of the day before the history: somewhere between reorder point and order-up-to."""
        self._plan(0)
        trading = (self.a.start_day <= 0) & (self.a.end_day > 0)
        level = self.rng.integers(self.reorder_point, self.order_up_to + 1)
        self.on_hand[:] = np.where(trading, level, 0)
        return self.on_hand.copy()

    # ---- one day ----------------------------------------------------------------------------------------
    def step(self, t: int) -> DayParts:
        a = self.a
        self._plan(t)
        selling = np.less_equal(a.start_day, t, out=self._selling)
        selling &= np.greater(a.end_day, t, out=self._flag)  # trading
        draining = None
        if t in self.drain_days:
            draining = a.end_day - 1 == t
            selling &= ~draining
        # (movement type, pair, quantity, second of day, document number or None to number after sorting)
        parts: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]] = []

        pair, qty, po = _pop(self.arrivals, t, 3)
        np.add.at(self.on_hand, pair, qty)
        np.add.at(self.on_order, pair, -qty)
        parts.append(("RECEIPT", pair, qty, self._times("RECEIPT", len(pair)), po))

        parts.extend(self._transfers(selling, draining))

        pair, qty, rma = _pop(self.returns, t, 3)
        keep = selling[pair]  # returns to a warehouse that has closed go elsewhere
        pair, qty, rma = pair[keep], qty[keep], rma[keep]
        np.add.at(self.on_hand, pair, qty)
        parts.append(("RETURN", pair, qty, self._times("RETURN", len(pair)), rma))

        parts.append(self._shipments(t, selling))
        parts.append(self._adjustments(selling))
        parts.append(self._cycle_counts(t, selling))
        self._replenish(t)
        return self._assemble(parts)

    def _times(self, phase: str, n: int) -> np.ndarray:
        lo, hi = WINDOWS[phase]
        return self.rng.integers(lo, hi, n)

    def _reserve_numbers(self, prefix: str, n: int) -> int:
        """The first of n consecutive document numbers."""
        first = self.counters[prefix] + 1
        self.counters[prefix] += n
        return first

    def _take_numbers(self, prefix: str, n: int) -> np.ndarray:
        first = self._reserve_numbers(prefix, n)
        return np.arange(first, first + n, dtype=np.int64)

    def _destinations(self, source: np.ndarray) -> np.ndarray:
        """A random other warehouse in the source's region that stocks the same SKU (-1 if none drawn)."""
        wh = self.a.wh[source]
        region = self.network.region[wh]
        pick = (self.rng.random(len(source)) * self.region_size[region]).astype(np.int64)
        dest_wh = self.region_members[region, pick]
        dest = self.a.locate(dest_wh, self.a.sku[source])
        return np.where(dest_wh == wh, -1, dest)

    def _transfers(self, selling: np.ndarray, draining: np.ndarray | None):
        a, on_hand = self.a, self.on_hand
        rop = self.reorder_point
        # rebalancing: a pair whose stock fell below its reorder point (a PO is on the way) is topped up to it
        # from the stock above the reorder point of the same SKU at a random same-region warehouse
        source = _sorted_unique(self.rng.integers(0, len(a), 25 * self.max_transfers))
        source = source[selling[source] & (on_hand[source] > rop[source] + 1)]
        dest = self._destinations(source)
        ok = dest >= 0
        source, dest = source[ok], dest[ok]
        ok = selling[dest] & (on_hand[dest] < rop[dest])
        source, dest = source[ok], dest[ok]
        _, first = np.unique(dest, return_index=True)
        first = np.sort(first)[: self.max_transfers]
        source, dest = source[first], dest[first]
        qty = np.minimum(on_hand[source] - rop[source], rop[dest] - on_hand[dest])

        # closing warehouses hand all remaining stock to same-region warehouses the day before they close
        drained = np.zeros(0, dtype=np.int64) if draining is None else np.flatnonzero(draining & (on_hand > 0))
        if len(drained):
            to = self._destinations(drained)
            usable = to >= 0
            usable[usable] = selling[to[usable]]
            sister = self.network.sister[a.wh[drained]]
            to = np.where(usable, to, a.locate(sister, a.sku[drained]))
            source = np.concatenate([source, drained])
            dest = np.concatenate([dest, to])
            qty = np.concatenate([qty, on_hand[drained]])

        keep = qty > 0
        source, dest, qty = source[keep], dest[keep], qty[keep]
        np.add.at(on_hand, source, -qty)
        np.add.at(on_hand, dest, qty)
        when = self._times("TRANSFER", len(qty))
        rank = np.empty(len(when), dtype=np.int64)
        rank[np.argsort(when, kind="stable")] = np.arange(len(when))
        number = self._take_numbers("TR", len(when))[rank]
        return [("TRANSFER_OUT", source, -qty, when, number), ("TRANSFER_IN", dest, qty, when, number)]

    def _shipments(self, t: int, selling: np.ndarray):
        a, rng = self.a, self.rng
        rate = np.take(self.season.daily[t], self.profile, out=self._real, mode="clip")
        rate *= a.order_rate
        rate *= selling  # a pair that does not sell draws nothing: poisson(0) is 0 and takes no random number
        orders = rng.poisson(rate)
        pairs = np.flatnonzero(orders)
        lines = orders[pairs]
        line_pair = np.repeat(pairs, lines)
        wanted = 1 + rng.poisson(a.line_qty_extra[line_pair])
        first = np.cumsum(lines) - lines
        cumulative = np.cumsum(wanted)
        before = cumulative - wanted - np.repeat(cumulative[first] - wanted[first], lines)  # earlier lines, same pair
        shipped = np.clip(self.on_hand[line_pair] - before, 0, wanted)  # lines beyond stock are lost sales
        if len(pairs):
            self.on_hand[pairs] -= np.add.reduceat(shipped, first)
        keep = shipped > 0
        line_pair, shipped = line_pair[keep], shipped[keep]
        self._book_returns(t, line_pair, shipped)
        return "SHIPMENT", line_pair, -shipped, self._times("SHIPMENT", len(line_pair)), None

    def _book_returns(self, t: int, line_pair: np.ndarray, shipped: np.ndarray) -> None:
        rng = self.rng
        back = rng.random(len(line_pair)) < self.a.return_rate[line_pair]
        pair, sold = line_pair[back], shipped[back]
        qty = np.maximum(1, (sold * rng.uniform(0.3, 1.0, len(sold))).astype(np.int64))
        day = t + 1 + rng.geometric(0.12, len(pair))
        future = day < self.history.n_days
        pair, qty, day = pair[future], qty[future], day[future]
        _grouped_by_day(self.returns, day, pair, qty, self._take_numbers("RMA", len(pair)))

    def _adjustments(self, selling: np.ndarray):
        rng, on_hand = self.rng, self.on_hand
        pair = _sorted_unique(rng.integers(0, len(self.a), 4 * self.max_adjustments))
        pair = pair[selling[pair] & (on_hand[pair] > 0)]
        pair = pair[rng.permutation(len(pair))[: self.max_adjustments]]
        size = rng.geometric(0.45, len(pair))
        damaged = rng.random(len(pair)) < 0.85  # damage and shrink; the rest is found stock
        qty = np.where(damaged, -np.minimum(size, on_hand[pair]), size)
        on_hand[pair] += qty
        return "ADJUSTMENT", pair, qty, self._times("ADJUSTMENT", len(pair)), None

    def _cycle_counts(self, t: int, selling: np.ndarray):
        rng, on_hand = self.rng, self.on_hand
        counted = [g for cycle in (30, 90) if (g := self.count_groups.get(cycle * 1000 + t % cycle)) is not None]
        pair = np.concatenate(counted) if counted else np.zeros(0, dtype=np.int64)
        pair = pair[selling[pair]]
        pair = pair[rng.random(len(pair)) < COUNT_VARIANCE_CHANCE]
        size = rng.geometric(0.55, len(pair))
        qty = np.where(rng.random(len(pair)) < 0.65, -np.minimum(size, on_hand[pair]), size)
        keep = qty != 0
        pair, qty = pair[keep], qty[keep]
        on_hand[pair] += qty
        # one count sheet per warehouse and day: CC-<yyyymmdd><warehouse number, 3 digits>
        day = self.history.date_at(t).astype("datetime64[D]").item()
        sheet = (day.year * 10_000 + day.month * 100 + day.day) * 1000 + self.a.wh[pair].astype(np.int64) + 1
        return "CYCLE_COUNT", pair, qty, self._times("CYCLE_COUNT", len(pair)), sheet

    def _replenish(self, t: int) -> None:
        a, rng = self.a, self.rng
        position = np.add(self.on_hand, self.on_order, out=self._whole)
        need = np.flatnonzero(np.less(position, self.reorder_point, out=self._flag))
        need = need[(self.order_from[need] <= t) & (t <= self.order_until[need])]
        if not len(need):
            return
        case = a.case_pack[need]
        qty = -(-(self.order_up_to[need] - position[need]) // case) * case
        arrival = t + a.lead_days[need] + rng.integers(0, LEAD_JITTER_DAYS, len(need))
        arrival = np.where(self.weekday[np.minimum(arrival, len(self.weekday) - 1)] == 6, arrival + 1, arrival)
        # first stock of a new warehouse or SKU lands on its first trading day, before anything else moves
        arrival = np.maximum(arrival, a.start_day[need])
        self.on_order[need] += qty
        po = self._take_numbers("PO", len(need))
        due = arrival < self.history.n_days
        _grouped_by_day(self.arrivals, arrival[due], need[due], qty[due], po[due])

    # ---- output -----------------------------------------------------------------------------------------
    def _assemble(self, parts) -> DayParts:
        first_number = {name: self._reserve_numbers(REFERENCE_PREFIX[name], sum(len(p[1]) for p in parts if p[0] == name))
                        for name in NUMBERED_IN_TIME_ORDER}
        day = DayParts(parts=parts, first_transaction_id=self.next_transaction_id, first_number=first_number)
        self.next_transaction_id += len(day)
        return day
