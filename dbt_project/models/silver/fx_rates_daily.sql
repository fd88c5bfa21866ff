-- Redshift physical design: A few thousand rows a year: replicate to every node.
{{ config(dist='all', sort=['currency_code', 'rate_date']) }}
-- Daily closing rates on business days, USD per unit of each currency.
with rates as (
    {{ latest_loaded(source('bronze', 'fx_rates'), ['rate_date', 'currency_code']) }}
)

select
    currency_code,
    rate_date,
    usd_per_unit,
    {{ month_end('rate_date') }} as month_end_date
from rates
