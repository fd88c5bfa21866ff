{#
  The ledger, resolved: the deduplicated movements of batch files and the CDC stream (one ledger: a
  streamed change of a transaction_id replaces the batch row with that id, a streamed delete removes
  it), each with the product and warehouse versions in force on its event day and, for rows that
  cannot be resolved, the reason. fct_inventory_transactions keeps the resolved rows,
  transaction_rejects the others.

  `restate_from` (a SQL date, or none for everything): only movements on or after that day are
  returned, and only Bronze rows of keys with some version on or after it are read and deduplicated,
  so an incremental build reads the days it restates, not the history. A key whose latest version
  moved before the cut drops out here, and the cut was chosen from all its versions
  (first_affected_day), so its old row is deleted with the restated days.

  Relations come from the model (lineage stays in the model): `bronze_ledger` the Bronze ledger,
  `streamed` cdc_inventory_transactions, `products` dim_product, `warehouses` dim_warehouse.
#}
{% macro resolved_ledger(restate_from, bronze_ledger, streamed, products, warehouses) -%}
with batch_ledger as (
    {% if restate_from is none -%}
    {{ latest_loaded_ranking_repeats(bronze_ledger, ['transaction_id']) }}
    {%- else -%}
    {{ latest_loaded(restated_key_versions(bronze_ledger, restate_from), ['transaction_id']) }}
    {%- endif %}
),

streamed as (
    select * from {{ streamed }}
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

known_skus as (select distinct sku_id from {{ products }}),
known_warehouses as (select distinct warehouse_id from {{ warehouses }}),

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
    left join {{ products }} as p
        on p.sku_id = l.sku_id
        and cast(l.event_ts as date) >= p.effective_from
        and cast(l.event_ts as date) < p.effective_to
    left join {{ warehouses }} as w
        on w.warehouse_id = l.warehouse_id
        and cast(l.event_ts as date) >= w.effective_from
        and cast(l.event_ts as date) < w.effective_to
    left join known_skus as ks on ks.sku_id = l.sku_id
    left join known_warehouses as kw on kw.warehouse_id = l.warehouse_id
    {% if restate_from is not none -%}
    where l.event_ts >= cast({{ restate_from }} as timestamp)
    {%- endif %}
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
{%- endmacro %}


{# Every Bronze version of the keys with a version on or after `restate_from`, as a subquery. #}
{% macro restated_key_versions(bronze_ledger, restate_from) -%}
    {{ return(adapter.dispatch('restated_key_versions', 'inventory_platform')(bronze_ledger, restate_from)) }}
{%- endmacro %}

{% macro default__restated_key_versions(bronze_ledger, restate_from) -%}
    (select * from {{ bronze_ledger }} where transaction_id in (
        select transaction_id from {{ bronze_ledger }} where event_ts >= cast({{ restate_from }} as timestamp)))
{%- endmacro %}

{#- DuckDB: also the range of those keys, so the scan skips row groups by their min/max (Bronze is in load
    order, ids ascending): without it the semi-join read all 302M Bronze rows at `medium`, 8 s of a daily
    run; with it 0.02 s (slow_query_analysis.md §5). Not on PostgreSQL: it guesses the range keeps 0.5% of
    the rows, then plans nested loops: one build ran more than nine minutes in the PostgreSQL test. -#}
{% macro duckdb__restated_key_versions(bronze_ledger, restate_from) -%}
    {%- set keys = '(select transaction_id from ' ~ bronze_ledger ~ ' where event_ts >= cast(' ~ restate_from ~ ' as timestamp))' -%}
    (select * from {{ bronze_ledger }} where transaction_id in {{ keys }}
        and transaction_id between (select min(transaction_id) from {{ keys }} as k)
                               and (select max(transaction_id) from {{ keys }} as k))
{%- endmacro %}
