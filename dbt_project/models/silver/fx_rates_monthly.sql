-- Redshift physical design: Hundreds of rows: replicate to every node.
{{ config(dist='all', sort=['currency_code', 'month_end_date']) }}
-- Per currency and month: the closing rate of the month's last business day and the monthly average.
with ranked as (
    select
        currency_code,
        month_end_date,
        rate_date,
        usd_per_unit,
        row_number() over (partition by currency_code, month_end_date order by rate_date desc) as close_rank
    from {{ ref('fx_rates_daily') }}
)

select
    currency_code,
    month_end_date,
    {{ month_key('month_end_date') }} as month_key,
    max(case when close_rank = 1 then usd_per_unit end) as month_end_usd_per_unit,
    max(case when close_rank = 1 then rate_date end) as month_end_rate_date,
    cast(avg(usd_per_unit) as numeric(18, 8)) as month_average_usd_per_unit
from ranked
group by currency_code, month_end_date
