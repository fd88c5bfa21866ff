-- Redshift physical design: Expected near-empty; even distribution, newest loads found by sort key.
{{ config(
    dist='even', sort=['loaded_at'],
    materialized='incremental', incremental_strategy='restate_from', unique_key='event_date',
    restate_from_macro='ledger_restate_from',
    on_schema_change='fail'
) }}
-- Ledger rows that reference an unknown SKU or warehouse, or fall outside every dimension version.
-- Kept with the reason rather than dropped; a failing check counts them. Restated incrementally like
-- fct_inventory_transactions (the same window, the same resolved rows): a reject leaves when the master
-- data it lacked arrives.
{{ assert_ledger_rebuild_reads_the_whole_history(ref('int_ledger_restate_window')) }}
select
    r.transaction_id,
    r.event_ts,
    r.event_date,
    r.warehouse_id,
    r.sku_id,
    r.movement_type,
    r.quantity,
    r.reference_id,
    r.reject_reason,
    r.loaded_at,
    r.source_batch_id,
    r.source_file,
    r.source_row,
    w.bronze_loaded_through,
    w.build_id
from {{ ref('int_ledger_resolved') }} as r
inner join {{ ref('int_ledger_restate_window') }} as w
    on w.build_id = (select max(build_id) from {{ ref('int_ledger_restate_window') }})
where r.reject_reason is not null
