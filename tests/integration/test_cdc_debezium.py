"""Real Debezium messages (PostgreSQL and MySQL connectors, JSON converter with and without schemas),
copied from Debezium's documentation (tests/support/debezium/README.md names each page and line range),
pushed through the real path: local Kinesis raw stream -> event-source mapping -> Lambda handler ->
clean stream -> Bronze -> dbt Silver."""

from __future__ import annotations

import json

import duckdb

from inventory_platform.cdc.local_pipeline import poll_until_idle
from streaming.contract import partition_key
from streaming.kinesis_io import put_records

from ..support.cdc_fixtures import endpoint, lab, silver_db  # noqa: F401 (pytest fixtures)
from ..support.debezium_examples import example


def _warehouse_facts(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        pairs = con.execute("""
            select w.warehouse_id, p.sku_id, w.currency_code, p.unit_of_measure
            from silver.dim_warehouse as w cross join silver.dim_product as p
            where w.is_current and w.close_date is null and p.is_current
            order by 1, 2 limit 3""").fetchall()
        next_id, last_ts = con.execute(
            "select max(transaction_id) + 1, max(event_ts) from silver.fct_inventory_transactions").fetchone()
        batch_rows = con.execute("""
            select transaction_id, strftime(event_ts, '%Y-%m-%dT%H:%M:%SZ'), warehouse_id, sku_id, movement_type,
                   quantity, reference_id
            from silver.fct_inventory_transactions_detail where source_lsn is null order by transaction_id limit 2""").fetchall()
    finally:
        con.close()
    return pairs, next_id, last_ts.strftime("%Y-%m-%dT%H:%M:%SZ"), batch_rows


def _movement(tid, at, wh, sku, qty, movement="RECEIPT"):
    return {"transaction_id": tid, "event_ts": at, "warehouse_id": wh, "sku_id": sku,
            "movement_type": movement, "quantity": qty, "reference_id": f"PO-{tid}"}


def _level(pair, qty, at):
    wh, sku, currency, unit = pair
    return {"warehouse_id": wh, "sku_id": sku, "quantity_on_hand": qty, "unit_of_measure": unit,
            "currency_code": currency, "updated_at": at}


def _key_of(message: dict) -> str:
    payload = message.get("payload", message)
    image = payload.get("after") or payload.get("before") or {}
    return str(image["transaction_id"]) if "transaction_id" in image else f"{image.get('warehouse_id')}|{image.get('sku_id')}"


def test_documented_debezium_messages_load_into_silver(lab):
    pairs, tid, at, batch_rows = _warehouse_facts(lab.db)
    (w1, s1, *_), (w2, s2, *_), (w3, s3, *_) = pairs
    batch_a, batch_b = (dict(zip(("transaction_id", "event_ts", "warehouse_id", "sku_id", "movement_type",
                                  "quantity", "reference_id"), row, strict=True)) for row in batch_rows)
    txn = "inventory_transactions"
    messages = [
        # PostgreSQL: schemas enabled; key-only `before` images (REPLICA IDENTITY DEFAULT); transaction block.
        example("postgresql_create_schemas_enabled", txn, after=_movement(tid, at, w1, s1, 40)),
        example("postgresql_update", "stock_levels", before={"warehouse_id": w1, "sku_id": s1},
                after=_level(pairs[0], 140, at)),
        example("postgresql_delete", txn, before={"transaction_id": batch_a["transaction_id"]}),
        example("postgresql_transaction_metadata", txn, after=_movement(tid + 1, at, w2, s2, -3, "SHIPMENT")),
        # MySQL: binlog positions instead of an lsn; full `before` images.
        example("mysql_create_schemas_enabled", "stock_levels", after=_level(pairs[1], 12, at)),
        example("mysql_update", txn, before=_movement(tid + 2, at, w3, s3, 5), after=_movement(tid + 2, at, w3, s3, 7)),
        example("mysql_delete", txn, before=batch_b),
        example("mysql_transaction_metadata", "stock_levels", after=_level(pairs[2], 33, at)),
    ]
    truncate = example("mysql_truncate", "stock_levels")  # real, but nothing the warehouse can apply
    records = [(json.dumps(m).encode(), partition_key(m.get("payload", m)["source"]["table"], _key_of(m)))
               for m in messages]
    assert not put_records(lab.kinesis, lab.names.raw, [*records, (json.dumps(truncate).encode(), "stock_levels|")])

    poll_until_idle(lab.pipeline())
    letters = [json.loads(d) for d in lab.dead_letters()]
    assert [d["reason"] for d in letters] == [
        "invalid event: stock_levels.op: Input should be 'c', 'u', 'd' or 'r'"]  # the truncate, and only it
    lab.refresh_silver()

    con = duckdb.connect(str(lab.db), read_only=True)
    try:
        assert con.execute("select count(*) from bronze.cdc_events").fetchone()[0] == len(messages)
        streamed = dict(con.execute("""
            select transaction_id, (is_deleted, quantity) from silver.cdc_inventory_transactions""").fetchall())
        ledger = dict(con.execute("""
            select transaction_id, quantity from silver.fct_inventory_transactions
            where transaction_id in (?, ?, ?, ?, ?)""",
            [tid, tid + 1, tid + 2, batch_a["transaction_id"], batch_b["transaction_id"]]).fetchall())
        stock = dict(con.execute("""
            select warehouse_id || '|' || sku_id, quantity_on_hand from silver.stock_levels_current""").fetchall())
        ids = dict(con.execute("""
            select json_extract_string(payload, '$.source.connector'), json_extract_string(payload, '$.event_id')
            from bronze.cdc_events where json_extract_string(payload, '$.op') = 'd'""").fetchall())
    finally:
        con.close()
    assert streamed == {tid: (False, 40), tid + 1: (False, -3), tid + 2: (False, 7),
                        batch_a["transaction_id"]: (True, None), batch_b["transaction_id"]: (True, batch_b["quantity"])}
    assert ledger == {tid: 40, tid + 1: -3, tid + 2: 7}  # both batch rows deleted by the stream
    assert stock == {f"{w1}|{s1}": 140, f"{w2}|{s2}": 12, f"{w3}|{s3}": 33}
    # No event_id of ours: the identity is the source position (PostgreSQL lsn; MySQL binlog file 3, pos 805, row 0).
    assert ids == {"postgresql": f"inventory_transactions#{batch_a['transaction_id']}#46523128",
                   "mysql": f"inventory_transactions#{batch_b['transaction_id']}#{(3 << 44) | (805 << 12)}"}
