-- Redshift physical design: Distributed like the ledger it is derived from; sorted by month end for period scans
-- and for the month-range delete of each restatement.
{{ config(
    dist='sku_id', sort=['month_end_date', 'warehouse_id'],
    materialized='incremental', incremental_strategy='restate_from', unique_key='month_end_date',
    restate_from_macro='snapshot_restate_from', on_schema_change='fail'
) }}
-- Periodic snapshot: stock on hand per warehouse x SKU at each month end, from the opening balance
-- plus the ledger's net movements. A pair appears from its first month with stock or movement;
-- months with neither stock nor movement are not stored (no densification). Valued with the standard
-- cost in force at month end, translated at the month-end closing rate.
--
-- Incremental (docs/late_arriving.md): a run restates whole months of the ledger's window
-- (int_ledger_restate_window: the earliest month any Bronze row loaded since the last complete pass
-- affects, up to the chunk's end), deletes every later month and leaves earlier months untouched: a
-- restated month's balance = the balance at the last month end before it (read from this table) + its
-- net movements. With nothing new loaded the run writes nothing; a first run or --full-refresh builds
-- the window's months from the first.
{%- set window = ledger_window(ref('int_ledger_restate_window')) %}
{%- set restating = is_incremental() and not window.everything %}
{#- nothing new: a null month, so no movement qualifies and nothing is written -#}
{%- set first_month = (month_end(window['from']) if window['from'] is not none else 'cast(null as date)') if restating else none %}
{%- set until_month = month_end(window.get('until')) if window.get('until') is not none else none %}
{%- set in_window = {'movements': [], 'opening': []} %}
{%- for name, column in [('movements', 'month_end_date'), ('opening', month_end('as_of_date'))] %}
{%- if first_month is not none %}{% do in_window[name].append(column ~ ' >= ' ~ first_month) %}{% endif %}
{%- if until_month is not none %}{% do in_window[name].append(column ~ ' < ' ~ until_month) %}{% endif %}
{%- endfor %}
with window_row as (
    select
        build_id,
        bronze_loaded_through
    from {{ ref('int_ledger_restate_window') }}
    where build_id = (select max(build_id) from {{ ref('int_ledger_restate_window') }})
),

-- The lean ledger holds version keys: summed per key, then mapped to warehouse and SKU through the dimensions.
-- Hot and cold ledger: a full rebuild needs every month (docs/architecture/cold_tier.md).
movements as (
    {{ ledger_pair_month_movements(ref('fct_inventory_transactions_all_history'), ref('dim_warehouse'),
                                   ref('dim_product'), in_window.movements | join(' and ') or 'true') }}
),

opening as (
    select
        warehouse_id,
        sku_id,
        {{ month_end('as_of_date') }} as month_end_date,
        quantity_on_hand
    from {{ ref('opening_balances') }}
    where {{ in_window.opening | join(' and ') or 'true' }}
),

-- Balances carried into the first restated month: the last stored month end before it. A pair
-- without a row there had nothing on hand (a non-zero balance is stored every month).
carried as (
    {% if restating %}
    select
        warehouse_id,
        sku_id,
        quantity_on_hand
    from {{ this }}
    where month_end_date = (
        select max(month_end_date) from {{ this }}
        where month_end_date < {{ first_month }}
    )
    {% else %}
    select
        warehouse_id,
        sku_id,
        quantity_on_hand
    from opening
    where 1 = 0
    {% endif %}
),

last_month as (
    select max(month_end_date) as month_end_date from movements
),

month_ends as (
    select distinct month_end_date from movements
    union
    select distinct month_end_date from opening
),

pair_start as (
    select
        warehouse_id,
        sku_id,
        min(month_end_date) as first_month_end
    from (
        select
            warehouse_id,
            sku_id,
            month_end_date
        from movements
        union all
        select
            warehouse_id,
            sku_id,
            month_end_date
        from opening
        union all
        select
            warehouse_id,
            sku_id,
            (select min(month_end_date) from month_ends) as month_end_date
        from carried
    ) as activity
    group by warehouse_id, sku_id
),

spine as (
    select
        p.warehouse_id,
        p.sku_id,
        m.month_end_date
    from pair_start as p
    inner join month_ends as m
        on m.month_end_date >= p.first_month_end
    cross join last_month
    where m.month_end_date <= last_month.month_end_date
),

balances as (
    select
        s.warehouse_id,
        s.sku_id,
        s.month_end_date,
        coalesce(mv.net_quantity, 0) as net_movement_quantity,
        coalesce(mv.movement_count, 0) as movement_count,
        coalesce(c.quantity_on_hand, 0) + sum(coalesce(mv.net_quantity, 0) + coalesce(o.quantity_on_hand, 0)) over (
            partition by s.warehouse_id, s.sku_id
            order by s.month_end_date
            rows between unbounded preceding and current row
        ) as quantity_on_hand
    from spine as s
    left join movements as mv
        on mv.warehouse_id = s.warehouse_id and mv.sku_id = s.sku_id and mv.month_end_date = s.month_end_date
    left join opening as o
        on o.warehouse_id = s.warehouse_id and o.sku_id = s.sku_id and o.month_end_date = s.month_end_date
    left join carried as c
        on c.warehouse_id = s.warehouse_id and c.sku_id = s.sku_id
)

select
    b.warehouse_id,
    w.warehouse_key,
    b.sku_id,
    p.product_key,
    p.category_code,
    b.month_end_date,
    {{ month_key('b.month_end_date') }} as month_key,
    cast(b.quantity_on_hand as bigint) as quantity_on_hand,
    cast(b.net_movement_quantity as bigint) as net_movement_quantity,
    b.movement_count,
    w.currency_code,
    c.standard_cost as unit_cost_local,
    cast({{ inventory_value_local('b.quantity_on_hand', 'c.standard_cost') }} as numeric(38, 4)) as value_local,
    fx.month_end_usd_per_unit,
    cast(
        {{ translate_to_reporting(inventory_value_local('b.quantity_on_hand', 'c.standard_cost'), 'fx.month_end_usd_per_unit') }}
        as numeric(38, 12)
    ) as value_usd,
    window_row.bronze_loaded_through,
    window_row.build_id
from balances as b
cross join window_row
left join {{ ref('dim_warehouse') }} as w
    on w.warehouse_id = b.warehouse_id
    and b.month_end_date >= w.effective_from and b.month_end_date < w.effective_to
left join {{ ref('dim_product') }} as p
    on p.sku_id = b.sku_id
    and b.month_end_date >= p.effective_from and b.month_end_date < p.effective_to
left join {{ ref('standard_cost_history') }} as c
    on c.sku_id = b.sku_id
    and c.currency_code = w.currency_code
    and b.month_end_date >= c.effective_from and b.month_end_date < c.effective_to
left join {{ ref('fx_rates_monthly') }} as fx
    on fx.currency_code = w.currency_code and fx.month_end_date = b.month_end_date
where b.quantity_on_hand <> 0 or b.movement_count > 0
