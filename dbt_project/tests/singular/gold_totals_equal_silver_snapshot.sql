{{ config(meta={'dagster': {'ref': {'name': 'gold_inventory_value_monthly'}}}) }}
-- Gold must not gain or lose value: per month, Gold equals the Silver snapshot in quantity exactly and
-- in USD value up to Gold's per-cell rounding to the cent (at most half a cent per cell).
with gold as (
    select
        month_end_date,
        sum(value_usd) as gold_value_usd,
        sum(quantity_on_hand) as gold_quantity,
        count(*) as gold_cells
    from {{ ref('gold_inventory_value_monthly') }}
    group by month_end_date
),

silver as (
    select
        month_end_date,
        sum(value_usd) as silver_value_usd,
        sum(quantity_on_hand) as silver_quantity
    from {{ ref('fct_inventory_snapshot_month_end') }}
    group by month_end_date
)

select *
from gold
full outer join silver using (month_end_date)
where
    gold_quantity is distinct from silver_quantity
    or abs(coalesce(gold_value_usd, 0) - coalesce(silver_value_usd, 0)) > 0.005 * coalesce(gold_cells, 0)
