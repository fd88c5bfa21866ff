-- Redshift physical design: distributed and sorted like the ledger it feeds (sku_id; event date).
{{ config(materialized=resolution_materialization(), dist='sku_id', sort=['event_date']) }}
-- The ledger, resolved for the days of int_ledger_restate_window: the deduplicated movements
-- of batch files and the CDC stream (one ledger: a streamed change of a transaction_id replaces the
-- batch row with that id, a streamed delete removes it), each with the product and warehouse versions
-- and the standard cost in force on its event day and, for rows that cannot be resolved, the reason.
-- fct_inventory_transactions keeps the resolved rows, transaction_rejects the others.
-- A view on DuckDB, a table on Redshift (resolution_materialization, macros/ledger.sql). Lean: a resolved
-- row carries the fact's columns only; the natural keys, load lineage and reference of a row are kept
-- where transaction_rejects needs them (rejects), and reference_id on transfer legs.
--
-- A daily run reads only the restated days: Bronze rows of keys with some version on or after
-- the first restated day. A key whose latest version moved before that day drops out here, and the day
-- was chosen from all its versions (first_affected_day), so its old row is deleted with the restated
-- days. A first build or --full-refresh resolves the whole history; with nothing new, no row.
-- In a chunked pass (docs/late_arriving.md "Chunks") the window also ends (restate_until): the rows whose
-- latest version falls in [restate_from, restate_until), so memory and storage follow the chunk.
{%- set window = ledger_window(ref('int_ledger_restate_window')) %}
{%- set restate_from = none if window.everything else window['from'] %}
{%- set restate_until = window.get('until') %}
{%- set bronze_ledger = source('bronze', 'inventory_transactions') %}
with batch_ledger as (
    {{ latest_restated_versions(bronze_ledger, restate_from, restate_until) }}
),

streamed as (
    select * from {{ ref('cdc_inventory_transactions') }}
),

ledger as (
    select
        b.transaction_id,
        b.event_ts,
        b.warehouse_id,
        b.sku_id,
        b.movement_type,
        b.quantity,
        b.reference_id,
        b._loaded_at,
        b._batch_id,
        b._source_file,
        b._source_row,
        b._load_file_key,
        cast(null as bigint) as source_lsn
    from batch_ledger as b
    left join streamed as s on s.transaction_id = b.transaction_id
    where s.transaction_id is null
    union all
    select
        transaction_id,
        event_ts,
        warehouse_id,
        sku_id,
        movement_type,
        quantity,
        reference_id,
        loaded_at as _loaded_at,
        load_batch_id as _batch_id,
        'kinesis:' || stream_name || '/' || shard_id as _source_file,
        cast(null as bigint) as _source_row,
        cast(null as bigint) as _load_file_key,
        source_lsn
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
        l._load_file_key as load_file_key,
        l.source_lsn,
        p.product_key,
        p.category_code,
        w.warehouse_key,
        w.currency_code,
        ks.sku_id is not null as sku_known,
        kw.warehouse_id is not null as warehouse_known
    from ledger as l
    -- SCD2 as-of joins: the version whose [effective_from, effective_to) holds the event day.
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
    {% if restate_from is not none or restate_until is not none -%}
    where {{ in_restated_days(restate_from, restate_until, 'l.event_ts') }}
    {%- endif %}
),

reasoned as (
    select
        *,
        case
            when not sku_known then cast('unknown sku_id' as varchar)
            when not warehouse_known then cast('unknown warehouse_id' as varchar)
            when product_key is null then cast('no product version valid at event date' as varchar)
            when warehouse_key is null then cast('no warehouse version valid at event date' as varchar)
        end as reject_reason
    from resolved
)

select
    r.transaction_id,
    r.event_ts,
    r.event_date,
    r.movement_type,
    r.quantity,
    r.source_row,
    r.load_file_key,
    r.source_lsn,
    r.product_key,
    r.warehouse_key,
    cast({{ inventory_value_local('r.quantity', 'c.standard_cost') }} as numeric(18, 4)) as extended_value_local,
    r.reject_reason,
    case
        when r.reject_reason is not null or r.movement_type in ('TRANSFER_OUT', 'TRANSFER_IN')
            then r.reference_id
    end as reference_id,
    case when r.reject_reason is not null then r.warehouse_id end as warehouse_id,
    case when r.reject_reason is not null then r.sku_id end as sku_id,
    case when r.reject_reason is not null then r.loaded_at end as loaded_at,
    case when r.reject_reason is not null then r.source_batch_id end as source_batch_id,
    case when r.reject_reason is not null then r.source_file end as source_file
from reasoned as r
left join {{ ref('standard_cost_history') }} as c
    on c.sku_id = r.sku_id
    and c.currency_code = r.currency_code
    and r.event_date >= c.effective_from
    and r.event_date < c.effective_to
{%- if not window.everything and restate_from is none %}
where 1 = 0
{%- endif %}
