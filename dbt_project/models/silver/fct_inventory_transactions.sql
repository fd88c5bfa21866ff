-- Redshift physical design: Billions of rows: distributed on product_key (versions of 100K SKUs, an even spread),
-- sorted by event date (then transaction id, the order each chunk writes) so daily increments and month ranges
-- scan only their blocks.
{{ config(
    dist='product_key', sort=['event_date', 'transaction_id'],
    materialized='incremental', incremental_strategy='restate_from', unique_key='event_date',
    restate_from_macro='ledger_restate_from',
    on_schema_change='fail'
) }}
-- The inventory ledger at movement grain: one row per source movement, deduplicated by
-- transaction_id, with the product and warehouse versions in force on the event date.
-- Lean (docs/model_contracts.md "The lean ledger"): integer version keys, measures, dates and a lineage
-- pointer (load_file_key, source_row) into bronze.load_log and Bronze; natural keys, category, currency,
-- unit cost, reference_id (kept as transfer_id on transfer legs) and the source file come back through
-- fct_inventory_transactions_detail.
--
-- Incremental (docs/late_arriving.md): a run replaces the days int_ledger_restate_window restates with
-- the resolved rows of int_ledger_resolved, which resolves only those days; with nothing new it writes
-- nothing. A first run or --full-refresh builds the whole ledger (with its window).
{{ assert_ledger_rebuild_reads_the_whole_history(ref('int_ledger_restate_window')) }}
select
    r.transaction_id,
    r.event_ts,
    r.event_date,
    {{ month_end('r.event_date') }} as month_end_date,
    r.warehouse_key,
    r.product_key,
    r.movement_type,
    r.quantity,
    -- the transfer's id on its two legs only (about 1% of rows): the transfers check reads the fact alone
    case when r.movement_type in ('TRANSFER_OUT', 'TRANSFER_IN') then r.reference_id end as transfer_id,
    r.extended_value_local,
    r.load_file_key,
    r.source_row,
    r.source_lsn,
    w.bronze_loaded_through,
    w.build_id
from {{ ref('int_ledger_resolved') }} as r
inner join {{ ref('int_ledger_restate_window') }} as w
    on w.build_id = (select max(build_id) from {{ ref('int_ledger_restate_window') }})
where r.reject_reason is null
{{ write_order(['r.event_date', 'r.transaction_id']) }}
