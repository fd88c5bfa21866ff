-- Redshift physical design: expected empty; even distribution, newest loads found by sort key.
{{ config(dist='even', sort=['loaded_at']) }}
-- Streamed changes Silver does not apply: the latest change of a row names a warehouse or SKU that no
-- version of the conformed dimensions knows. Kept with the event, the row key and the reason rather
-- than applied or dropped; the check on this table fails while any row is here. A reject leaves when
-- the master data arrives or the source changes or deletes the row.
--   stock_levels: kept out of stock_levels_current.
--   inventory_transactions: the change still replaces a batch row with the same id (the source no
--   longer holds that version), and the ledger refuses it like a batch row (transaction_rejects).
with stock_levels as (
    {{ cdc_key_check(ref('int_cdc_stock_levels_state'), ref('dim_product'), ref('dim_warehouse')) }}
),

transactions as (
    {{ cdc_key_check(ref('cdc_inventory_transactions'), ref('dim_product'), ref('dim_warehouse')) }}
)

select
    cast('stock_levels' as varchar) as source_table,
    warehouse_id || '|' || sku_id as row_key,
    event_id,
    last_op as op,
    source_lsn,
    warehouse_id,
    sku_id,
    reject_reason,
    source_committed_at,
    stream_name,
    shard_id,
    sequence_number,
    loaded_at
from stock_levels
where last_op <> 'd' and reject_reason is not null

union all

select
    cast('inventory_transactions' as varchar) as source_table,
    cast(transaction_id as varchar) as row_key,
    event_id,
    last_op as op,
    source_lsn,
    warehouse_id,
    sku_id,
    reject_reason,
    source_committed_at,
    stream_name,
    shard_id,
    sequence_number,
    loaded_at
from transactions
where not is_deleted and reject_reason is not null
