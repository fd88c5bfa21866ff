-- Optimized queries of the inventory platform, as they run (rendered SQL, DuckDB dialect). The code that
-- produces them: reporting/yoy.py (1), dbt_project/macros/ledger.sql + restatement.sql and
-- models/silver/fct_inventory_transactions.sql (2). Plans and timings: explain_plans.txt,
-- ledger_restatement_plans.txt; the analysis: slow_query_analysis.md.

-- (1) The executive YoY question, answered from Gold: 36 month ends x (company + 50 categories) read
-- from gold_inventory_value_trend, a few thousand precomputed rows whatever the history size.
SELECT * FROM (SELECT month_end_date, scope, value_usd, prior_year_value_usd, yoy_change_usd, yoy_pct,
                      value_constant_currency_usd, constant_currency_yoy_pct
               FROM gold.gold_inventory_value_trend WHERE scope = 'TOTAL') AS r;
SELECT * FROM (SELECT month_end_date, scope, value_usd, prior_year_value_usd, yoy_change_usd, yoy_pct,
                      value_constant_currency_usd, constant_currency_yoy_pct
               FROM gold.gold_inventory_value_trend WHERE scope <> 'TOTAL') AS r;

-- (2) The daily restatement of the ledger after one new day was loaded: delete the restated suffix,
-- then insert the SELECT below, which reads only Bronze rows of keys with a version on or after the
-- restated day (instead of deduplicating and resolving the whole history).
delete from "warehouse"."silver"."fct_inventory_transactions" where event_date >= cast('2026-01-01' as date);
-- Redshift physical design: Billions of rows: distributed on sku_id (100K values, co-located with costs and the snapshot), sorted by event date so daily increments and month ranges scan only their blocks.

-- The inventory ledger at movement grain: one row per source movement, deduplicated by
-- transaction_id, with the product and warehouse versions in force on the event date.
--
-- Incremental (docs/late_arriving.md): a run restates every day from the earliest day that any Bronze
-- row loaded since the last build affects (macros/ledger.sql) and reads only those days' keys; with
-- nothing new it writes nothing. A first run or --full-refresh builds the whole ledger.
with resolved as (
    with batch_ledger as (
    select * from (
        select
            src.*,
            row_number() over (
                partition by transaction_id
                order by _loaded_at desc, _batch_id desc, _source_row desc
            ) as _load_rank
        from (select * from "warehouse"."bronze"."inventory_transactions" where transaction_id in (select transaction_id from "warehouse"."bronze"."inventory_transactions" where event_ts >= cast(cast('2026-01-01' as date) as timestamp))) as src
    ) as ranked
    where _load_rank = 1
),

streamed as (
    select * from "warehouse"."silver"."cdc_inventory_transactions"
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

known_skus as (select distinct sku_id from "warehouse"."silver"."dim_product"),
known_warehouses as (select distinct warehouse_id from "warehouse"."silver"."dim_warehouse"),

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
    left join "warehouse"."silver"."dim_product" as p
        on p.sku_id = l.sku_id
        and cast(l.event_ts as date) >= p.effective_from
        and cast(l.event_ts as date) < p.effective_to
    left join "warehouse"."silver"."dim_warehouse" as w
        on w.warehouse_id = l.warehouse_id
        and cast(l.event_ts as date) >= w.effective_from
        and cast(l.event_ts as date) < w.effective_to
    left join known_skus as ks on ks.sku_id = l.sku_id
    left join known_warehouses as kw on kw.warehouse_id = l.warehouse_id
    where l.event_ts >= cast(cast('2026-01-01' as date) as timestamp)
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
),

loads as (
    select max(loaded_at) as loaded_at
    from (
        select max(_loaded_at) as loaded_at from "warehouse"."bronze"."inventory_transactions"
        union all
        select max(_loaded_at) as loaded_at from "warehouse"."bronze"."cdc_events"
        union all
        select max(_loaded_at) as loaded_at from "warehouse"."bronze"."opening_balances"
        union all
        select max(_loaded_at) as loaded_at from "warehouse"."bronze"."standard_costs"
        union all
        select max(_loaded_at) as loaded_at from "warehouse"."bronze"."fx_rates"
        union all
        select max(_loaded_at) as loaded_at from "warehouse"."bronze"."products"
        union all
        select max(_loaded_at) as loaded_at from "warehouse"."bronze"."warehouses"
        
        ) as per_source
)

select
    r.transaction_id,
    r.event_ts,
    r.event_date,
    cast(cast(
        

    (

    (date_trunc('month', r.event_date) + cast(1 as bigint) * interval 1 month) + cast(-1 as bigint) * interval 1 day)
        as date) as date) as month_end_date,
    r.warehouse_id,
    r.warehouse_key,
    r.sku_id,
    r.product_key,
    r.category_code,
    r.movement_type,
    r.quantity,
    r.currency_code,
    c.standard_cost as unit_cost_local,
    cast((r.quantity * c.standard_cost) as numeric(38, 4)) as extended_value_local,
    r.reference_id,
    r.loaded_at,
    r.source_batch_id,
    r.source_file,
    r.source_row,
    r.source_lsn,
    loads.loaded_at as bronze_loaded_through
from resolved as r
cross join loads
left join "warehouse"."silver"."standard_cost_history" as c
    on c.sku_id = r.sku_id
    and c.currency_code = r.currency_code
    and r.event_date >= c.effective_from
    and r.event_date < c.effective_to
where r.reject_reason is null;
