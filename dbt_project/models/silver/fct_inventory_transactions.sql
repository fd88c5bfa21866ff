-- Redshift physical design: Billions of rows: distributed on sku_id (100K values, co-located with costs and the snapshot), sorted by event date so daily increments and month ranges scan only their blocks.
{{ config(
    dist='sku_id', sort=['event_date', 'warehouse_id'],
    materialized='incremental', incremental_strategy='restate_from', unique_key='event_date',
    restate_from_macro='ledger_restate_from',
    on_schema_change='fail'
) }}
-- The inventory ledger at movement grain: one row per source movement, deduplicated by
-- transaction_id, with the product and warehouse versions in force on the event date.
--
-- Incremental (docs/late_arriving.md): a run restates every day from the earliest day that any Bronze
-- row loaded since the last build affects (macros/ledger.sql) and reads only those days' keys; with
-- nothing new it writes nothing. A first run or --full-refresh builds the whole ledger.
-- depends_on: {{ ref('transaction_rejects') }}  (built first: the two share a watermark, macros/restatement.sql)
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
    {{ month_end('r.event_date') }} as month_end_date,
    r.warehouse_id,
    r.warehouse_key,
    r.sku_id,
    r.product_key,
    r.category_code,
    r.movement_type,
    r.quantity,
    r.currency_code,
    c.standard_cost as unit_cost_local,
    cast({{ inventory_value_local('r.quantity', 'c.standard_cost') }} as numeric(38, 4)) as extended_value_local,
    r.reference_id,
    r.loaded_at,
    r.source_batch_id,
    r.source_file,
    r.source_row,
    r.source_lsn,
    loads.loaded_at as bronze_loaded_through
from resolved as r
cross join loads
left join {{ ref('standard_cost_history') }} as c
    on c.sku_id = r.sku_id
    and c.currency_code = r.currency_code
    and r.event_date >= c.effective_from
    and r.event_date < c.effective_to
where r.reject_reason is null
{%- if nothing_to_restate %}
    and 1 = 0
{%- endif %}
