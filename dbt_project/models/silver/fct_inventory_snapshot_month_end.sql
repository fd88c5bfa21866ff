-- Redshift physical design: Distributed on the SKU's entity key, so a pair's months are on one slice for the
-- running balance; sorted by month end for period scans and for the month-range delete of each restatement.
{{ config(
    dist='sku_entity_key', sort=['month_end_date', 'warehouse_entity_key'],
    materialized='incremental', incremental_strategy='restate_from', unique_key='month_end_date',
    restate_from_macro='snapshot_restate_from', on_schema_change='fail'
) }}
-- Periodic snapshot: stock on hand per warehouse x SKU at each month end, from the opening balance
-- plus the ledger's net movements. A pair appears from its first month with stock or movement;
-- months with neither stock nor movement are not stored (no densification). Valued with the standard
-- cost in force at month end in the warehouse's currency; Gold translates to USD per cell. Lean: integer
-- entity keys (the pair's identity across versions), the product version in force at month end (Gold's
-- category) and measures, written in (month end, warehouse, SKU) order; the wide row with names,
-- currency, unit cost and USD is fct_inventory_snapshot_month_end_detail (docs/model_contracts.md).
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
{%- for name, column in [('movements', 'month_end_date'), ('opening', month_end('o.as_of_date'))] %}
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

-- The lean ledger holds version keys: summed per key, then mapped to the warehouse's and SKU's entity keys.
-- Hot and cold ledger: a full rebuild needs every month (docs/architecture/cold_tier.md).
movements as (
    {{ ledger_pair_month_movements(ref('fct_inventory_transactions_all_history'), ref('dim_warehouse'),
                                   ref('dim_product'), in_window.movements | join(' and ') or 'true') }}
),

-- An opening balance of an id no key map holds keeps a null key, so the not_null tests name it.
opening as (
    select
        w.warehouse_entity_key,
        k.sku_entity_key,
        {{ month_end('o.as_of_date') }} as month_end_date,
        o.quantity_on_hand
    from {{ ref('opening_balances') }} as o
    left join {{ ref('key_map_warehouse') }} as w on w.warehouse_id = o.warehouse_id
    left join {{ ref('key_map_sku') }} as k on k.sku_id = o.sku_id
    where {{ in_window.opening | join(' and ') or 'true' }}
),

-- Balances carried into the first restated month: the last stored month end before it. A pair
-- without a row there had nothing on hand (a non-zero balance is stored every month).
carried as (
    {% if restating %}
    select
        warehouse_entity_key,
        sku_entity_key,
        quantity_on_hand
    from {{ this }}
    where month_end_date = (
        select max(month_end_date) from {{ this }}
        where month_end_date < {{ first_month }}
    )
    {% else %}
    select
        warehouse_entity_key,
        sku_entity_key,
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
        warehouse_entity_key,
        sku_entity_key,
        min(month_end_date) as first_month_end
    from (
        select
            warehouse_entity_key,
            sku_entity_key,
            month_end_date
        from movements
        union all
        select
            warehouse_entity_key,
            sku_entity_key,
            month_end_date
        from opening
        union all
        select
            warehouse_entity_key,
            sku_entity_key,
            (select min(month_end_date) from month_ends) as month_end_date
        from carried
    ) as activity
    group by warehouse_entity_key, sku_entity_key
),

spine as (
    select
        p.warehouse_entity_key,
        p.sku_entity_key,
        m.month_end_date
    from pair_start as p
    inner join month_ends as m
        on m.month_end_date >= p.first_month_end
    cross join last_month
    where m.month_end_date <= last_month.month_end_date
),

balances as (
    select
        s.warehouse_entity_key,
        s.sku_entity_key,
        s.month_end_date,
        coalesce(mv.net_quantity, 0) as net_movement_quantity,
        coalesce(mv.movement_count, 0) as movement_count,
        coalesce(c.quantity_on_hand, 0) + sum(coalesce(mv.net_quantity, 0) + coalesce(o.quantity_on_hand, 0)) over (
            partition by s.warehouse_entity_key, s.sku_entity_key
            order by s.month_end_date
            rows between unbounded preceding and current row
        ) as quantity_on_hand
    from spine as s
    left join movements as mv
        on mv.warehouse_entity_key = s.warehouse_entity_key and mv.sku_entity_key = s.sku_entity_key
        and mv.month_end_date = s.month_end_date
    left join opening as o
        on o.warehouse_entity_key = s.warehouse_entity_key and o.sku_entity_key = s.sku_entity_key
        and o.month_end_date = s.month_end_date
    left join carried as c
        on c.warehouse_entity_key = s.warehouse_entity_key and c.sku_entity_key = s.sku_entity_key
)

select
    b.month_end_date,
    b.warehouse_entity_key,
    b.sku_entity_key,
    p.product_key,
    cast(b.quantity_on_hand as bigint) as quantity_on_hand,
    cast(b.net_movement_quantity as bigint) as net_movement_quantity,
    b.movement_count,
    -- empty when no standard cost is in force: the stock is unvalued (docs/valuation.md)
    cast({{ inventory_value_local('b.quantity_on_hand', 'c.standard_cost') }} as numeric(18, 4)) as value_local,
    window_row.bronze_loaded_through,
    window_row.build_id
from balances as b
cross join window_row
left join {{ ref('dim_warehouse') }} as w
    on w.warehouse_entity_key = b.warehouse_entity_key
    and b.month_end_date >= w.effective_from and b.month_end_date < w.effective_to
left join {{ ref('dim_product') }} as p
    on p.sku_entity_key = b.sku_entity_key
    and b.month_end_date >= p.effective_from and b.month_end_date < p.effective_to
left join {{ ref('key_map_sku') }} as k
    on k.sku_entity_key = b.sku_entity_key
left join {{ ref('standard_cost_history') }} as c
    on c.sku_id = k.sku_id
    and c.currency_code = w.currency_code
    and b.month_end_date >= c.effective_from and b.month_end_date < c.effective_to
where b.quantity_on_hand <> 0 or b.movement_count > 0
{{ write_order(['b.month_end_date', 'b.warehouse_entity_key', 'b.sku_entity_key']) }}
