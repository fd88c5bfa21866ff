{# A late-binding view on Redshift: it reads Spectrum external tables. #}
{{ config(materialized='view', bind=False) }}
-- The whole ledger (hot and cold) with everything the lean fact leaves to the dimensions, the cost history
-- and Bronze: natural keys, category, currency, unit cost, reference_id and the row's source file, batch
-- and load time (docs/model_contracts.md "The lean ledger"). For audits, lookups and analysts who want
-- the wide row; aggregates over many rows read the fact and join the dimensions they need.
with ledger as (
    select * from {{ ref('fct_inventory_transactions_all_history') }}
),

bronze as (
    {{ bronze_ledger_lineage(source('bronze', 'inventory_transactions')) }}
),

streamed as (
    select
        transaction_id,
        source_lsn,
        reference_id,
        loaded_at,
        load_batch_id,
        stream_name,
        shard_id
    from {{ ref('cdc_inventory_transactions') }}
)

select
    f.transaction_id,
    f.event_ts,
    f.event_date,
    f.month_end_date,
    w.warehouse_id,
    f.warehouse_key,
    p.sku_id,
    f.product_key,
    p.category_code,
    f.movement_type,
    f.quantity,
    w.currency_code,
    c.standard_cost as unit_cost_local,
    f.extended_value_local,
    coalesce(b.reference_id, s.reference_id) as reference_id,
    coalesce(b._loaded_at, s.loaded_at) as loaded_at,
    coalesce(b._batch_id, s.load_batch_id) as source_batch_id,
    coalesce(b._source_file, 'kinesis:' || s.stream_name || '/' || s.shard_id) as source_file,
    f.load_file_key,
    f.source_row,
    f.source_lsn
from ledger as f
left join {{ ref('dim_warehouse') }} as w on w.warehouse_key = f.warehouse_key
left join {{ ref('dim_product') }} as p on p.product_key = f.product_key
left join {{ ref('standard_cost_history') }} as c
    on c.sku_id = p.sku_id
    and c.currency_code = w.currency_code
    and f.event_date >= c.effective_from
    and f.event_date < c.effective_to
left join bronze as b on b._load_file_key = f.load_file_key and b._source_row = f.source_row
left join streamed as s on s.transaction_id = f.transaction_id and s.source_lsn = f.source_lsn
