-- Redshift physical design: a few thousand rows; replicate everywhere, sorted by month.
{{ config(dist='all', sort=['month_key', 'scope']) }}
-- The executive trend: month-end inventory value for the whole company (scope TOTAL) and per category
-- (scope = category code), for every month that has a prior year to compare with (36 months of a
-- 4-year history). Rolled up from gold_inventory_value_monthly, the only source of Gold values.
with months as (
    select distinct month_key from {{ ref('gold_inventory_value_monthly') }}
),

-- Distinct months joined, not Gold rows: rows per month (categories x warehouses) squared would
-- make this join grow with the square of the network (25,000 rows a month at 500 warehouses).
comparable_months as (
    select cur.month_key
    from months as cur
    inner join months as py on py.month_key = {{ prior_year_month_key('cur.month_key') }}
),

scoped as (
    select
        month_end_date,
        month_key,
        cast('TOTAL' as varchar) as scope,
        cast('All categories' as varchar) as scope_name,
        value_usd,
        value_constant_currency_usd,
        prior_year_value_usd,
        quantity_on_hand
    from {{ ref('gold_inventory_value_monthly') }}
    union all
    select
        month_end_date,
        month_key,
        category_code,
        category_name,
        value_usd,
        value_constant_currency_usd,
        prior_year_value_usd,
        quantity_on_hand
    from {{ ref('gold_inventory_value_monthly') }}
)

select
    s.month_end_date,
    s.month_key,
    s.scope,
    max(s.scope_name) as scope_name,
    cast(sum(s.quantity_on_hand) as bigint) as quantity_on_hand,
    cast(sum(s.value_usd) as {{ money_type() }}) as value_usd,
    cast(sum(s.value_constant_currency_usd) as {{ money_type() }}) as value_constant_currency_usd,
    cast(sum(s.prior_year_value_usd) as {{ money_type() }}) as prior_year_value_usd,
    cast(sum(s.value_usd) - sum(s.prior_year_value_usd) as {{ money_type() }}) as yoy_change_usd,
    {{ yoy_pct('sum(s.value_usd)', 'sum(s.prior_year_value_usd)') }} as yoy_pct,
    {{ yoy_pct('sum(s.value_constant_currency_usd)', 'sum(s.prior_year_value_usd)') }} as constant_currency_yoy_pct
from scoped as s
inner join comparable_months as m on m.month_key = s.month_key
group by s.month_end_date, s.month_key, s.scope
