{# Ephemeral (a CTE inside its two consumers): dbt does not support contracts here; the consumers enforce theirs. #}
{{ config(materialized='ephemeral', contract={'enforced': false}) }}
-- The deduplicated ledger with every dimension version resolved as of the event date, and, for rows
-- that cannot be resolved, the reason. Feeds fct_inventory_transactions and transaction_rejects.
-- Batch files and the CDC stream are one ledger: a streamed change of a transaction_id replaces the
-- batch row with that id, and a streamed delete removes it.
with batch_ledger as (
    {{ latest_loaded(source('bronze', 'inventory_transactions'), ['transaction_id']) }}
),

streamed as (
    select * from {{ ref('cdc_inventory_transactions') }}
),

ledger as (
    select
        b.transaction_id, b.event_ts, b.warehouse_id, b.sku_id, b.movement_type, b.quantity, b.reference_id,
        b._loaded_at, b._batch_id, b._source_file, b._source_row, cast(null as bigint) as source_lsn
    from batch_ledger as b
    left join streamed as s on s.transaction_id = b.transaction_id
    where s.transaction_id is null
    union all
    select
        transaction_id, event_ts, warehouse_id, sku_id, movement_type, quantity, reference_id,
        loaded_at, load_batch_id, 'kinesis:' || stream_name || '/' || shard_id, cast(null as bigint), source_lsn
    from streamed
    where not is_deleted
),

known_skus as (select distinct sku_id from {{ ref('dim_product') }}),
known_warehouses as (select distinct warehouse_id from {{ ref('dim_warehouse') }}),

resolved as (
    select
        l.transaction_id,
        l.event_ts,
        cast(l.event_ts as date) as event_date,
        l.warehouse_id,
        l.sku_id,
        l.movement_type,
        l.quantity,
        l.reference_id,
        l._loaded_at as loaded_at,
        l._batch_id as source_batch_id,
        l._source_file as source_file,
        l._source_row as source_row,
        l.source_lsn,
        p.product_key,
        p.category_code,
        w.warehouse_key,
        w.currency_code,
        ks.sku_id is not null as sku_known,
        kw.warehouse_id is not null as warehouse_known
    from ledger as l
    left join {{ ref('dim_product') }} as p
        on p.sku_id = l.sku_id
        and cast(l.event_ts as date) >= p.effective_from
        and cast(l.event_ts as date) < p.effective_to
    left join {{ ref('dim_warehouse') }} as w
        on w.warehouse_id = l.warehouse_id
        and cast(l.event_ts as date) >= w.effective_from
        and cast(l.event_ts as date) < w.effective_to
    left join known_skus as ks on ks.sku_id = l.sku_id
    left join known_warehouses as kw on kw.warehouse_id = l.warehouse_id
)

select
    resolved.*,
    case
        when not sku_known then cast('unknown sku_id' as varchar)
        when not warehouse_known then cast('unknown warehouse_id' as varchar)
        when product_key is null then cast('no product version valid at event date' as varchar)
        when warehouse_key is null then cast('no warehouse version valid at event date' as varchar)
    end as reject_reason
from resolved
