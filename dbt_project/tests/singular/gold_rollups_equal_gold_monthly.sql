{{ config(meta={'dagster': {'ref': {'name': 'gold_inventory_value_trend'}}}) }}
-- Every Gold roll-up must equal the cell-level Gold table for every month: the region roll-up summed
-- over regions, the trend's TOTAL scope, and the trend's categories summed, all to the cent.
with monthly as (
    select
        month_key,
        sum(value_usd) as value_usd
    from {{ ref('gold_inventory_value_monthly') }}
    group by month_key
),

regions as (
    select
        month_key,
        sum(value_usd) as value_usd
    from {{ ref('gold_inventory_value_by_region') }}
    group by month_key
),

trend_total as (
    select
        month_key,
        value_usd
    from {{ ref('gold_inventory_value_trend') }}
    where scope = 'TOTAL'
),

trend_categories as (
    select
        month_key,
        sum(value_usd) as value_usd
    from {{ ref('gold_inventory_value_trend') }}
    where scope <> 'TOTAL'
    group by month_key
)

select
    m.month_key,
    m.value_usd,
    r.value_usd as regions,
    t.value_usd as trend_total,
    c.value_usd as trend_categories
from monthly as m
left join regions as r on r.month_key = m.month_key
left join trend_total as t on t.month_key = m.month_key
left join trend_categories as c on c.month_key = m.month_key
where
    r.value_usd is distinct from m.value_usd
    or (t.month_key is not null and (t.value_usd <> m.value_usd or c.value_usd is distinct from m.value_usd))
