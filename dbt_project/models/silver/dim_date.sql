-- Redshift physical design: a few thousand rows; replicate everywhere, sorted by date.
{{ config(dist='all', sort=['date_day']) }}
-- Calendar and fiscal attributes for every day from the first opening balance to the end of the year
-- of the last movement. The fiscal year starts in the month set by var fiscal_year_start_month
-- (February, the retail convention) and is named after the calendar year it ends in.
with bounds as (
    select
        min(first_day) as first_day,
        max(last_day) as last_day
    from (
        select
            min(as_of_date) as first_day,
            max(as_of_date) as last_day
        from {{ ref('opening_balances') }}
        union all
        -- min/max of the column itself, then the cast: a cast inside the aggregate cost a full 302M-row scan at `medium`
        select
            cast(min(event_ts) as date) as first_day,
            cast(max(event_ts) as date) as last_day
        from {{ source('bronze', 'inventory_transactions') }}
    ) as edges
),

digits as (
    {%- for d in range(10) %}
    select {{ d }} as n
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

numbers as (
    select d1.n + 10 * d2.n + 100 * d3.n + 1000 * d4.n + 10000 * d5.n as n
    from digits as d1 cross join digits as d2 cross join digits as d3 cross join digits as d4 cross join digits as d5
),

days as (
    select cast({{ dbt.dateadd('day', 'numbers.n', 'bounds.first_day') }} as date) as date_day
    from numbers
    cross join bounds
    {%- set last_year_start = "cast(" ~ dbt.date_trunc('year', 'bounds.last_day') ~ " as date)" %}
    where numbers.n <= {{ dbt.datediff('bounds.first_day', last_year_start, 'day') | trim }} + 366
),

calendar as (
    select
        date_day,
        cast(extract(year from date_day) as integer) as calendar_year,
        cast(extract(month from date_day) as integer) as calendar_month,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(extract(dow from date_day) as integer) as day_of_week,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,
        {{ month_end('date_day') }} as month_end_date
    from days
    where
        cast(extract(year from date_day) as integer)
        <= (select cast(extract(year from last_day) as integer) from bounds)
)

select
    date_day,
    calendar_year * 10000 + calendar_month * 100 + day_of_month as date_key,
    calendar_year,
    cast(floor((calendar_month - 1) / 3.0) as integer) + 1 as calendar_quarter,
    calendar_month,
    {{ month_key('date_day') }} as month_key,
    case calendar_month
        {%- set month_names = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
                               'October', 'November', 'December'] %}
        {% for name in month_names %}
        when {{ loop.index }} then cast('{{ name }}' as varchar)
        {% endfor %}
    end as month_name,
    day_of_month,
    day_of_week,
    day_of_week in (0, 6) as is_weekend,
    month_start_date,
    month_end_date,
    date_day = month_end_date as is_month_end,
    case when calendar_month >= {{ var('fiscal_year_start_month') }} then calendar_year + 1 else calendar_year end
    - case when {{ var('fiscal_year_start_month') }} = 1 then 1 else 0 end as fiscal_year,
    mod(calendar_month - {{ var('fiscal_year_start_month') }} + 12, 12) + 1 as fiscal_period,
    cast(floor(mod(calendar_month - {{ var('fiscal_year_start_month') }} + 12, 12) / 3.0) as integer) + 1 as fiscal_quarter,
    cast({{ dbt.dateadd('year', -1, 'date_day') }} as date) as same_day_last_year,
    {{ prior_year_month_key(month_key('date_day')) }} as same_month_last_year_key
from calendar
