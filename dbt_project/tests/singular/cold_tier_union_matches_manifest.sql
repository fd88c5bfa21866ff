{{ config(meta={'dagster': {'ref': {'name': 'fct_inventory_transactions_all_history'}}}) }}
-- The union view must answer for every offloaded month exactly what the hot tier held when the month was
-- offloaded (rows, quantity, value): fails on lost, extra or altered cold files, and on a view built
-- before the first offload and not rebuilt since (it would not read the cold tier).
{%- set manifest = source('ops', 'cold_tier_offload') %}
with recorded as (
    {{ cold_tier_recorded_months(manifest, 'fct_inventory_transactions') }}
),

watermark as (
    {{ cold_tier_watermark(manifest, 'fct_inventory_transactions') }}
),

served as (
    select
        cast(extract(year from event_date) as integer) as year,
        cast(extract(month from event_date) as integer) as month,
        count(*) as row_count,
        sum(quantity) as quantity_sum,
        sum(extended_value_local) as value_sum
    from {{ ref('fct_inventory_transactions_all_history') }}
    where event_date < (select cutoff_date from watermark)
    group by 1, 2
)

select
    coalesce(recorded.year, served.year) as year,
    coalesce(recorded.month, served.month) as month,
    recorded.row_count as recorded_rows,
    served.row_count as served_rows,
    recorded.quantity_sum as recorded_quantity,
    served.quantity_sum as served_quantity,
    recorded.value_sum as recorded_value,
    served.value_sum as served_value
from recorded
full outer join served on served.year = recorded.year and served.month = recorded.month
where
    recorded.row_count is distinct from served.row_count
    or recorded.quantity_sum is distinct from served.quantity_sum
    or recorded.value_sum is distinct from served.value_sum
