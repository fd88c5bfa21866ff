-- Redshift physical design: Expected near-empty; even distribution, newest loads found by sort key.
{{ config(
    dist='even', sort=['loaded_at'],
    materialized='incremental', incremental_strategy='restate_from', unique_key='event_date',
    restate_from_macro='ledger_restate_from',
    on_schema_change='fail'
) }}
-- Ledger rows that reference an unknown SKU or warehouse, or fall outside every dimension version.
-- Kept with the reason rather than dropped; a failing check counts them. Restated incrementally like
-- fct_inventory_transactions: a reject leaves when the master data it lacked arrives.
{%- set restate_from = ledger_restate_from() if is_incremental() else none %}
{%- set bronze = {} -%}
{%- for table in snapshot_bronze_sources() -%}{%- do bronze.update({table: source('bronze', table)}) -%}{%- endfor -%}
{%- set nothing_to_restate = is_incremental() and restate_from is none %}
with resolved as (
    {{ resolved_ledger(restate_from, bronze['inventory_transactions'], ref('cdc_inventory_transactions'),
                       ref('dim_product'), ref('dim_warehouse')) }}
),

loads as (
    {{ bronze_loaded_through(bronze) }}
)

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
    loads.loaded_at as bronze_loaded_through
from resolved as r
cross join loads
where r.reject_reason is not null
{%- if nothing_to_restate %}
    and 1 = 0
{%- endif %}
