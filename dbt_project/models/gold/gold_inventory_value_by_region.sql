-- Redshift physical design: hundreds of rows; replicate everywhere, sorted by month.
{{ config(dist='all', sort=['month_key', 'region']) }}
-- Month-end inventory value per region, rolled up from gold_inventory_value_monthly (the only source
-- of Gold values), with prior year, YoY and the like-for-like subset (warehouses open in both periods).
select
    month_end_date,
    month_key,
    region,
    cast(sum(quantity_on_hand) as bigint) as quantity_on_hand,
    cast(sum(value_usd) as {{ money_type() }}) as value_usd,
    cast(sum(value_constant_currency_usd) as {{ money_type() }}) as value_constant_currency_usd,
    cast(sum(prior_year_value_usd) as {{ money_type() }}) as prior_year_value_usd,
    cast(sum(value_usd) - sum(prior_year_value_usd) as {{ money_type() }}) as yoy_change_usd,
    {{ yoy_pct('sum(value_usd)', 'sum(prior_year_value_usd)') }} as yoy_pct,
    {{ yoy_pct('sum(value_constant_currency_usd)', 'sum(prior_year_value_usd)') }} as constant_currency_yoy_pct,
    cast(sum(case when is_like_for_like then value_usd else 0 end) as {{ money_type() }}) as like_for_like_value_usd,
    cast(sum(case when is_like_for_like then prior_year_value_usd else 0 end) as {{ money_type() }}) as like_for_like_prior_year_value_usd,
    count(distinct warehouse_id) as warehouses
from {{ ref('gold_inventory_value_monthly') }}
group by month_end_date, month_key, region
