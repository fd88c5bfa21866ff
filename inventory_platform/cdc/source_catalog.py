"""Where streaming starts: the source's state at the end of the batch history, read from the warehouse."""

from __future__ import annotations

from datetime import datetime, timedelta

from streaming.local.source_simulator import Catalog

CATALOG_QUERIES = {
    "warehouses": "select warehouse_id, currency_code from silver.dim_warehouse where is_current and close_date is null",
    "skus": "select sku_id, unit_of_measure from silver.dim_product where is_current",
    # Pairs holding stock at the latest month end: streamed movements continue their balances.
    "on_hand": """
        select warehouse_id || '|' || sku_id, quantity_on_hand
        from silver.fct_inventory_snapshot_month_end_detail
        where month_end_date = (select max(month_end_date) from silver.fct_inventory_snapshot_month_end)
          and quantity_on_hand > 0""",
    # The first day a pair can hold a movement: both the product and the warehouse must exist.
    "since": """
        select s.warehouse_id || '|' || s.sku_id, greatest(p.first_day, w.first_day)
        from silver.fct_inventory_snapshot_month_end_detail as s
        join (select sku_id, min(effective_from) as first_day from silver.dim_product group by 1) as p using (sku_id)
        join (select warehouse_id, greatest(min(effective_from), min(open_date)) as first_day
              from silver.dim_warehouse group by 1) as w using (warehouse_id)
        where s.month_end_date = (select max(month_end_date) from silver.fct_inventory_snapshot_month_end)""",
    "ledger_end": "select max(transaction_id), max(event_ts) from silver.fct_inventory_transactions",
}


def catalog_from_warehouse(con, max_pairs: int = 20_000) -> Catalog:
    """Read the streaming start state; the warehouse must hold a built Silver layer."""
    warehouses = dict(con.execute(CATALOG_QUERIES["warehouses"]).fetchall())
    skus = dict(con.execute(CATALOG_QUERIES["skus"]).fetchall())
    on_hand = {pair: int(qty) for pair, qty in con.execute(CATALOG_QUERIES["on_hand"]).fetchall()
               if pair.split("|")[0] in warehouses and pair.split("|")[1] in skus}
    last_id, last_ts = con.execute(CATALOG_QUERIES["ledger_end"]).fetchone()
    if not warehouses or not on_hand or last_id is None:
        raise RuntimeError("the warehouse holds no Silver ledger yet: run `make demo` (or materialize) first")
    pairs = sorted(on_hand)[:max_pairs]
    since = {pair: day.isoformat() for pair, day in con.execute(CATALOG_QUERIES["since"]).fetchall() if pair in on_hand}
    start: datetime = last_ts + timedelta(seconds=1)
    # Streamed movements stay inside the last loaded business day: later days have no FX rates yet.
    end = datetime.combine(last_ts.date(), datetime.max.time())
    return Catalog(warehouse_currency=warehouses, sku_units=skus, on_hand={p: on_hand[p] for p in pairs},
                   pair_since={p: since[p] for p in pairs},
                   next_transaction_id=int(last_id) + 1, business_start=_iso(min(start, end)), business_end=_iso(end))


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
