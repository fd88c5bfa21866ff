"""A source database that keeps changing: it emits Debezium-style change events and remembers its truth.

It continues the batch history: new transactions take ids after the last batch id, on warehouse x SKU
pairs that hold stock, with business time advancing from the end of the history. Stock levels per
warehouse x SKU follow every movement. Some changes are corrections (u) and deletes (d) of recent
transactions; a stock-level row is deleted when the pair runs out. `truth()` is the source's final
state, standardized, which Silver must reproduce whatever faults the stream adds.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone

TXN = "inventory_transactions"
STOCK = "stock_levels"
# Spellings a source system really sends; the handler standardizes them.
UNIT_SPELLINGS = {"EA": ("EA", "each", "pcs"), "CS": ("CS", "case"), "PK": ("PK", "pack"), "KG": ("KG", "kgs"),
                  "L": ("L", "litre")}


@dataclass
class Catalog:
    """What the source holds when streaming starts (read from the warehouse after the batch load)."""
    warehouse_currency: dict[str, str]
    sku_units: dict[str, str]
    on_hand: dict[str, int]  # "WH|SKU" -> units
    next_transaction_id: int
    business_start: str  # ISO timestamp, UTC
    business_end: str | None = None  # the business clock stops here (no FX rates after it yet)
    pair_since: dict[str, str] = field(default_factory=dict)  # "WH|SKU" -> first day both exist (ISO date)


@dataclass
class SourceState:
    catalog: Catalog
    seed: int
    lsn: int = 0
    txid: int = 0
    events: int = 0
    clock: str = ""
    transactions: dict[str, dict] = field(default_factory=dict)
    stock_levels: dict[str, dict] = field(default_factory=dict)
    recent: list[int] = field(default_factory=list)
    snapshot_emitted: bool = False


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SourceSimulator:
    def __init__(self, state: SourceState, business_seconds_per_event: float = 1.0,
                 out_of_order_rate: float = 0.0, late_rate: float = 0.0) -> None:
        self.s = state
        self.rng = random.Random(f"{state.seed}:{state.events}")
        self.step_seconds = business_seconds_per_event
        self.out_of_order_rate = out_of_order_rate
        self.late_rate = late_rate
        self.recent = deque(state.recent, maxlen=2000)
        self.pairs = sorted(state.catalog.on_hand)
        if not state.clock:
            state.clock = state.catalog.business_start
        if not state.stock_levels:
            for pair, qty in state.catalog.on_hand.items():
                wh, sku = pair.split("|")
                state.stock_levels[pair] = self._stock_image(wh, sku, qty, datetime.fromisoformat(state.clock.replace("Z", "+00:00")))

    @classmethod
    def start(cls, catalog: Catalog, seed: int, **kwargs) -> SourceSimulator:
        return cls(SourceState(catalog=catalog, seed=seed), **kwargs)

    # ---------------------------------------------------------------- persistence
    def dumps(self) -> str:
        self.s.recent = list(self.recent)
        return json.dumps(asdict(self.s))

    @classmethod
    def loads(cls, text: str, **kwargs) -> SourceSimulator:
        raw = json.loads(text)
        raw["catalog"] = Catalog(**raw["catalog"])
        return cls(SourceState(**raw), **kwargs)

    def truth(self) -> dict[str, dict[str, dict]]:
        return {TXN: dict(self.s.transactions), STOCK: dict(self.s.stock_levels)}

    # ---------------------------------------------------------------- change generation
    def _stock_image(self, wh: str, sku: str, qty: int, at: datetime) -> dict:
        return {"warehouse_id": wh, "sku_id": sku, "quantity_on_hand": qty,
                "unit_of_measure": self.s.catalog.sku_units[sku],
                "currency_code": self.s.catalog.warehouse_currency[wh], "updated_at": _iso(at)}

    def _event(self, table: str, op: str, before: dict | None, after: dict | None) -> dict:
        self.s.lsn += 1
        self.s.events += 1
        return {"event_id": str(uuid.UUID(int=self.rng.getrandbits(128))), "op": op,
                "source": {"table": table, "lsn": self.s.lsn, "ts_ms": int(time.time() * 1000), "txid": self.s.txid},
                "before": before, "after": after}

    def _tick(self) -> datetime:
        clock = datetime.fromisoformat(self.s.clock.replace("Z", "+00:00")) + timedelta(seconds=self.step_seconds)
        if self.s.catalog.business_end:
            clock = min(clock, datetime.fromisoformat(self.s.catalog.business_end.replace("Z", "+00:00")))
        self.s.clock = _iso(clock)
        return clock

    def _set_stock(self, wh: str, sku: str, delta: int, at: datetime) -> dict:
        pair = f"{wh}|{sku}"
        before = self.s.stock_levels.get(pair)
        qty = (before["quantity_on_hand"] if before else 0) + delta
        after = self._stock_image(wh, sku, qty, at)
        self.s.stock_levels[pair] = after
        return self._event(STOCK, "u" if before else "c", before, after)

    def _spelled(self, event: dict) -> dict:
        """Send codes and timestamps the way a source system might; the truth keeps the standard form."""
        wire = json.loads(json.dumps(event))
        for image in (wire["before"], wire["after"]):
            if image and "unit_of_measure" in image:
                image["unit_of_measure"] = self.rng.choice(UNIT_SPELLINGS[image["unit_of_measure"]])
                image["currency_code"] = image["currency_code"].lower() if self.rng.random() < 0.3 else image["currency_code"]
            if image and "event_ts" in image and self.rng.random() < 0.3:
                ts = datetime.fromisoformat(image["event_ts"].replace("Z", "+00:00"))
                image["event_ts"] = ts.astimezone(timezone(timedelta(hours=9))).isoformat()
        return wire

    def step(self) -> list[dict]:
        """One source transaction: its change events in commit order (possibly emitted out of order).

        The first step is the initial snapshot, as Debezium starts: an `r` event per stock-level row."""
        self.s.txid += 1
        if not self.s.snapshot_emitted:
            self.s.snapshot_emitted = True
            return [self._spelled(self._event(STOCK, "r", None, image)) for image in self.s.stock_levels.values()]
        at = self._tick()
        roll = self.rng.random()
        if self.recent and roll < 0.08:
            events = self._correct(at)
        elif self.recent and roll < 0.12:
            events = self._delete(at)
        elif roll < 0.14:
            events = self._run_out(at)
        else:
            events = self._insert(at)
        return [self._spelled(e) for e in events]

    def _insert(self, at: datetime) -> list[dict]:
        pair = self.rng.choice(self.pairs)
        wh, sku = pair.split("|")
        on_hand = self.s.stock_levels.get(pair, {}).get("quantity_on_hand", 0)
        event_ts = at
        if self.rng.random() < self.late_rate:
            # A late receipt dated in an already-loaded period (receipts only: a late shipment could
            # turn a past balance negative, which the source would not have allowed).
            since = datetime.fromisoformat(self.s.catalog.pair_since.get(pair, "1970-01-01")).replace(tzinfo=UTC)
            event_ts = max(at - timedelta(days=self.rng.randint(20, 70)), since + timedelta(hours=12))
        if on_hand < 10 or self.rng.random() < 0.35 or event_ts != at:
            movement, qty = "RECEIPT", self.rng.randint(10, 120)
        elif self.rng.random() < 0.9:
            movement, qty = "SHIPMENT", -self.rng.randint(1, min(on_hand, 25))
        else:
            movement, qty = "ADJUSTMENT", self.rng.choice([-1, 1]) * self.rng.randint(1, min(on_hand, 3))
        tid = self.s.catalog.next_transaction_id
        self.s.catalog.next_transaction_id += 1
        image = {"transaction_id": tid, "event_ts": _iso(event_ts), "warehouse_id": wh, "sku_id": sku,
                 "movement_type": movement, "quantity": qty, "reference_id": f"CDC-{self.s.txid}"}
        self.s.transactions[str(tid)] = image
        self.recent.append(tid)
        return [self._event(TXN, "c", None, image), self._set_stock(wh, sku, qty, at)]

    def _live_recent(self) -> dict | None:
        for _ in range(5):
            image = self.s.transactions.get(str(self.rng.choice(self.recent)))
            if image:
                return image
        return None

    def _correct(self, at: datetime) -> list[dict]:
        before = self._live_recent()
        if before is None:
            return self._insert(at)
        pair = f"{before['warehouse_id']}|{before['sku_id']}"
        on_hand = self.s.stock_levels.get(pair, {}).get("quantity_on_hand", 0)
        sign = 1 if before["quantity"] > 0 else -1
        events = []
        # An out-of-order pair: two corrections of one row, the later one emitted first.
        for _ in range(2 if self.rng.random() < self.out_of_order_rate else 1):
            new_qty = sign * self.rng.randint(1, max(1, abs(before["quantity"]) + (on_hand if sign < 0 else 20)))
            if on_hand + new_qty - before["quantity"] < 0:
                new_qty = before["quantity"]
            after = {**before, "quantity": new_qty}
            self.s.transactions[str(before["transaction_id"])] = after
            events += [self._event(TXN, "u", before, after),
                       self._set_stock(before["warehouse_id"], before["sku_id"], new_qty - before["quantity"], at)]
            on_hand += new_qty - before["quantity"]
            before = after
        if len(events) == 4:
            events = events[2:] + events[:2]
        return events

    def _delete(self, at: datetime) -> list[dict]:
        before = self._live_recent()
        pair = before and f"{before['warehouse_id']}|{before['sku_id']}"
        if before is None or self.s.stock_levels.get(pair, {}).get("quantity_on_hand", 0) - before["quantity"] < 0:
            return self._insert(at)
        del self.s.transactions[str(before["transaction_id"])]
        return [self._event(TXN, "d", before, None),
                self._set_stock(before["warehouse_id"], before["sku_id"], -before["quantity"], at)]

    def _run_out(self, at: datetime) -> list[dict]:
        """Ship the rest of a pair's stock, then delete its stock-level row."""
        pair = self.rng.choice(self.pairs)
        if self.s.stock_levels.get(pair, {}).get("quantity_on_hand", 0) <= 0:
            return self._insert(at)
        wh, sku = pair.split("|")
        on_hand = self.s.stock_levels[pair]["quantity_on_hand"]
        tid = self.s.catalog.next_transaction_id
        self.s.catalog.next_transaction_id += 1
        image = {"transaction_id": tid, "event_ts": _iso(at), "warehouse_id": wh, "sku_id": sku,
                 "movement_type": "SHIPMENT", "quantity": -on_hand, "reference_id": f"CDC-{self.s.txid}"}
        self.s.transactions[str(tid)] = image
        events = [self._event(TXN, "c", None, image), self._set_stock(wh, sku, -on_hand, at)]
        before = self.s.stock_levels.pop(pair)
        return events + [self._event(STOCK, "d", before, None)]
