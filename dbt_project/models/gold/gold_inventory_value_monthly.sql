-- Redshift physical design: Read whole by trend queries: even distribution, sorted by month for period filters.
-- An incremental table on every engine, Redshift included: as a materialized view its outer joins and UNION
-- would force a full refresh of every cell on each refresh (docs/optimization/redshift_design.md).
{{ config(
    dist='even', sort=['month_key', 'category_code'],
    materialized='incremental', incremental_strategy='restate_from', unique_key='month_end_date',
    restate_from_macro='gold_restate_from', on_schema_change='fail'
) }}
-- Month-end inventory value per category x warehouse x month, with the prior year and YoY.
-- A cell exists when the category had stock or movement in the warehouse in the month or in the same
-- month a year earlier, so prior-year totals always equal the prior year's own totals.
-- Balances are semi-additive: sum across categories and warehouses within a month, never across months.
--
-- Incremental: a run rewrites the months the snapshot restated since the last run (rows of a newer
-- build_id: in a chunked pass, the chunk's months on; their prior-year
-- columns included, which are later months of the same suffix) and every month of a renamed category,
-- reading the snapshot for those months and the same months a year earlier; with nothing restated it
-- writes nothing.
{%- set restate_from = gold_restate_from() if is_incremental() else none %}
{%- set nothing_to_restate = is_incremental() and restate_from is none %}
-- The snapshot's rows per warehouse x category (the product version in force at month end) x month: a
-- hash join to dim_product on its key, then the cells (thousands a month) take the warehouse version in
-- force at month end (id, currency) and are translated to USD at that currency's closing rate. One
-- currency per cell, so translating the cell's sum equals summing per-row translations to the cent.
with rows_by_category as (
    select
        s.month_end_date,
        s.warehouse_entity_key,
        p.category_code,
        cast(sum(s.quantity_on_hand) as bigint) as quantity_on_hand,
        sum(s.value_local) as value_local,
        max(s.bronze_loaded_through) as bronze_loaded_through,
        max(s.build_id) as build_id
    from {{ ref('fct_inventory_snapshot_month_end') }} as s
    inner join {{ ref('dim_product') }} as p on p.product_key = s.product_key
    {% if restate_from is not none -%}
    -- the restated months and their prior-year months, not the eleven months between: two months of
    -- the snapshot for a daily run, not thirteen
    where s.month_end_date >= {{ restate_from }}
       or (s.month_end_date >= {{ dbt.dateadd('year', -1, dbt.date_trunc('month', restate_from)) }}
           and s.month_end_date < (
               select {{ dbt.dateadd('month', 1, dbt.dateadd('year', -1, dbt.date_trunc('month', 'max(month_end_date)'))) }}
               from {{ ref('fct_inventory_snapshot_month_end') }}))
    {% endif -%}
    group by s.month_end_date, s.warehouse_entity_key, p.category_code
),

cells as (
    select
        r.month_end_date,
        {{ month_key('r.month_end_date') }} as month_key,
        w.warehouse_id,
        r.category_code,
        w.currency_code,
        r.quantity_on_hand,
        r.value_local,
        {{ translate_to_reporting('r.value_local', 'fx.month_end_usd_per_unit') }} as value_usd,
        r.bronze_loaded_through,
        r.build_id
    from rows_by_category as r
    inner join {{ ref('dim_warehouse') }} as w
        on w.warehouse_entity_key = r.warehouse_entity_key
        and r.month_end_date >= w.effective_from and r.month_end_date < w.effective_to
    left join {{ ref('fx_rates_monthly') }} as fx
        on fx.currency_code = w.currency_code and fx.month_end_date = r.month_end_date
),

watermark as (
    select
        max(bronze_loaded_through) as bronze_loaded_through,
        max(build_id) as build_id
    from cells
),

months as (
    select distinct
        month_end_date,
        month_key
    from cells
),

grid as (
    select
        month_key,
        warehouse_id,
        category_code,
        currency_code
    from cells
    union
    select
        c.month_key + 100 as month_key,
        c.warehouse_id,
        c.category_code,
        c.currency_code
    from cells as c
    inner join months as m on m.month_key = c.month_key + 100
),

joined as (
    select
        m.month_end_date,
        g.month_key,
        g.warehouse_id,
        g.category_code,
        g.currency_code,
        coalesce(cur.quantity_on_hand, 0) as quantity_on_hand,
        coalesce(cur.value_local, 0) as value_local,
        coalesce(cur.value_usd, 0) as value_usd,
        py.value_usd as prior_year_value_usd,
        py.quantity_on_hand as prior_year_quantity_on_hand,
        {{ translate_to_reporting('coalesce(cur.value_local, 0)', 'pyfx.month_end_usd_per_unit') }} as value_constant_currency_usd,
        pyfx.month_end_date as prior_year_month_end_date
    from grid as g
    inner join months as m on m.month_key = g.month_key
    left join cells as cur
        on cur.month_key = g.month_key and cur.warehouse_id = g.warehouse_id and cur.category_code = g.category_code
    left join cells as py
        on py.month_key = {{ prior_year_month_key('g.month_key') }}
        and py.warehouse_id = g.warehouse_id and py.category_code = g.category_code
    left join {{ ref('fx_rates_monthly') }} as pyfx
        on pyfx.currency_code = g.currency_code and pyfx.month_key = {{ prior_year_month_key('g.month_key') }}
)

select
    j.month_end_date,
    j.month_key,
    j.warehouse_id,
    w.warehouse_name,
    w.region,
    w.country_code,
    j.category_code,
    cat.category_name,
    j.currency_code,
    j.quantity_on_hand,
    {{ to_cents('j.value_local') }} as value_local,
    {{ to_cents('j.value_usd') }} as value_usd,
    {{ to_cents('j.value_constant_currency_usd') }} as value_constant_currency_usd,
    {{ to_cents('j.prior_year_value_usd') }} as prior_year_value_usd,
    j.prior_year_quantity_on_hand,
    cast(round(j.value_usd, 2) - round(j.prior_year_value_usd, 2) as {{ money_type() }}) as yoy_change_usd,
    {{ yoy_pct('round(j.value_usd, 2)', 'round(j.prior_year_value_usd, 2)') }} as yoy_pct,
    (
        w.open_date <= j.prior_year_month_end_date
        and (w.close_date is null or w.close_date > j.month_end_date)
    ) as is_like_for_like,
    watermark.bronze_loaded_through,
    watermark.build_id
from joined as j
cross join watermark
left join {{ ref('dim_warehouse') }} as w
    on w.warehouse_id = j.warehouse_id
    and j.month_end_date >= w.effective_from and j.month_end_date < w.effective_to
left join {{ ref('dim_category') }} as cat
    on cat.category_code = j.category_code
{%- if restate_from is not none %}
where j.month_key >= {{ month_key(restate_from) }}
{%- elif nothing_to_restate %}
where 1 = 0
{%- endif %}
