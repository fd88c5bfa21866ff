{{ config(meta={'dagster': {'ref': {'name': 'fx_rates_daily'}}}) }}
-- A closing rate that moves more than 20% from the previous business day, a USD rate other than 1, or a
-- month end in use without a closing rate is a data error, not a market move.
with daily as (
    select
        currency_code,
        rate_date,
        usd_per_unit,
        lag(usd_per_unit) over (partition by currency_code order by rate_date) as previous_rate
    from {{ ref('fx_rates_daily') }}
),

jumps as (
    select
        currency_code,
        rate_date,
        'moved more than 20% in a day' as problem
    from daily
    where previous_rate is not null and abs(usd_per_unit - previous_rate) > 0.2 * previous_rate
),

usd as (
    select
        currency_code,
        rate_date,
        'USD rate is not 1' as problem
    from daily
    where currency_code = '{{ var("reporting_currency") }}' and usd_per_unit <> 1
),

missing_month_end as (
    select
        s.currency_code,
        s.month_end_date as rate_date,
        'no closing rate for a month end in use' as problem
    from (
        select distinct
            w.currency_code,
            s.month_end_date
        from (
            select distinct
                warehouse_entity_key,
                month_end_date
            from {{ ref('fct_inventory_snapshot_month_end') }}
        ) as s
        inner join {{ ref('dim_warehouse') }} as w
            on w.warehouse_entity_key = s.warehouse_entity_key
            and s.month_end_date >= w.effective_from and s.month_end_date < w.effective_to
    ) as s
    left join {{ ref('fx_rates_monthly') }} as fx
        on fx.currency_code = s.currency_code and fx.month_end_date = s.month_end_date
    where fx.month_end_usd_per_unit is null
)

select * from jumps
union all
select * from usd
union all
select * from missing_month_end
