-- Redshift physical design: Expected near-empty; even distribution, newest loads found by sort key.
{{ config(dist='even', sort=['loaded_at']) }}
-- Ledger rows that reference an unknown SKU or warehouse, or fall outside every dimension version.
-- Kept with the reason rather than dropped; a failing check counts them.
select
    transaction_id,
    event_ts,
    warehouse_id,
    sku_id,
    movement_type,
    quantity,
    reference_id,
    reject_reason,
    loaded_at,
    source_batch_id,
    source_file,
    source_row
from {{ ref('int_transactions_resolved') }}
where reject_reason is not null
