{{ config(meta={'dagster': {'ref': {'name': 'gold_inventory_value_monthly'}}}) }}
-- Gold must not gain or lose value: per month, Gold equals the Silver snapshot in quantity exactly and
-- in USD value up to Gold's per-cell rounding to the cent (at most half a cent per cell). Silver's side
-- translates every row at its warehouse's month-end rate, where Gold translates each cell's sum, and
-- counts quantity without the dimensions, so a row Gold's joins lose shows here.
-- Checks the months the latest build rewrote in either table (macros/test_scope.sql).
{%- set gold_from = latest_build_from(ref('gold_inventory_value_monthly'), 'month_end_date') %}
{%- set silver_from = latest_build_from(ref('fct_inventory_snapshot_month_end'), 'month_end_date') %}
{%- set checked_from = 'least(' ~ gold_from ~ ', ' ~ silver_from ~ ')' %}
with gold as (
    select
        month_end_date,
        sum(value_usd) as gold_value_usd,
        sum(quantity_on_hand) as gold_quantity,
        count(*) as gold_cells
    from {{ ref('gold_inventory_value_monthly') }}
    where month_end_date >= {{ checked_from }}
    group by month_end_date
),

silver_quantity as (
    select
        month_end_date,
        sum(quantity_on_hand) as silver_quantity
    from {{ ref('fct_inventory_snapshot_month_end') }}
    where month_end_date >= {{ checked_from }}
    group by month_end_date
),

silver_value as (
    select
        s.month_end_date,
        sum({{ translate_to_reporting('s.value_local', 'fx.month_end_usd_per_unit') }}) as silver_value_usd
    from {{ ref('fct_inventory_snapshot_month_end') }} as s
    left join {{ ref('dim_warehouse') }} as w
        on w.warehouse_entity_key = s.warehouse_entity_key
        and s.month_end_date >= w.effective_from and s.month_end_date < w.effective_to
    left join {{ ref('fx_rates_monthly') }} as fx
        on fx.currency_code = w.currency_code and fx.month_end_date = s.month_end_date
    where s.month_end_date >= {{ checked_from }}
    group by s.month_end_date
),

silver as (
    select
        q.month_end_date,
        v.silver_value_usd,
        q.silver_quantity
    from silver_quantity as q
    left join silver_value as v on v.month_end_date = q.month_end_date
)

select *
from gold
full outer join silver using (month_end_date)
where
    gold_quantity is distinct from silver_quantity
    or abs(coalesce(gold_value_usd, 0) - coalesce(silver_value_usd, 0)) > 0.005 * coalesce(gold_cells, 0)
