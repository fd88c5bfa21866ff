-- Redshift physical design: expected empty; even distribution, newest loads found by sort key.
{{ config(dist='even', sort=['loaded_at']) }}
-- Streamed changes Silver does not apply: the latest change of a row names a warehouse or SKU that no
-- version of the conformed dimensions knows. Kept with the event, the row key and the reason rather
-- than applied or dropped; the check on this table fails while any row is here. A reject leaves when
-- the master data arrives or the source changes or deletes the row.
--   stock_levels: kept out of stock_levels_current.
--   inventory_transactions: the change still replaces a batch row with the same id (the source no
--   longer holds that version), and the ledger refuses it like a batch row (transaction_rejects).
with {{ cdc_change_ctes(source('bronze', 'cdc_events'), 'stock_levels', {'warehouse_id': 'varchar', 'sku_id': 'varchar'},
                        ['warehouse_id', 'sku_id']) }},

latest_stock_levels as (
    {{ cdc_latest('cdc_changes', ['warehouse_id', 'sku_id']) }}
),

stock_levels as (
    {{ cdc_key_check('latest_stock_levels', ref('dim_product'), ref('dim_warehouse')) }}
),

transactions as (
    {{ cdc_key_check(ref('cdc_inventory_transactions'), ref('dim_product'), ref('dim_warehouse')) }}
)

select
    cast('stock_levels' as varchar) as source_table,
    warehouse_id || '|' || sku_id as row_key,
    event_id,
    op,
    source_lsn,
    warehouse_id,
    sku_id,
    reject_reason,
    {{ epoch_ms_to_timestamp('source_ts_ms') }} as source_committed_at,
    stream_name,
    shard_id,
    sequence_number,
    _loaded_at as loaded_at
from stock_levels
where op <> 'd' and reject_reason is not null

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
