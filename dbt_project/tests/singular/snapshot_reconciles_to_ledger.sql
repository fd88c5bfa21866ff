{{ config(meta={'dagster': {'ref': {'name': 'fct_inventory_snapshot_month_end'}}}) }}
-- Month-end balance = previous month-end balance + the month's net movements (with the opening
-- balance in the pair's first month). Any row here is a break in the running balance.
-- Checks the months the latest build rewrote (macros/test_scope.sql), each against the month before.
{%- set checked_from = latest_build_from(ref('fct_inventory_snapshot_month_end'), 'month_end_date') %}
with snapshot as (
    select
        warehouse_entity_key,
        sku_entity_key,
        month_end_date,
        quantity_on_hand,
        lag(quantity_on_hand) over (
            partition by warehouse_entity_key, sku_entity_key order by month_end_date
        ) as previous_on_hand
    from {{ ref('fct_inventory_snapshot_month_end') }}
    -- from the month end before the first checked one: a pair without a row there had nothing on hand
    -- (a non-zero balance is stored every month), so lag() needs no earlier month (10.5 s -> 0.6 s at `medium`)
    where month_end_date >= {{ dbt.dateadd('day', -1, dbt.date_trunc('month', checked_from)) }}
),

-- offloaded months included
ledger as (
    {{ ledger_pair_month_movements(ref('fct_inventory_transactions_all_history'), ref('dim_warehouse'),
                                   ref('dim_product'), 'month_end_date >= ' ~ checked_from) }}
),

opening as (
    select
        w.warehouse_entity_key,
        k.sku_entity_key,
        {{ month_end('o.as_of_date') }} as month_end_date,
        o.quantity_on_hand
    from {{ ref('opening_balances') }} as o
    inner join {{ ref('key_map_warehouse') }} as w on w.warehouse_id = o.warehouse_id
    inner join {{ ref('key_map_sku') }} as k on k.sku_id = o.sku_id
)

select
    s.*,
    l.net_quantity,
    o.quantity_on_hand as opening_quantity
from snapshot as s
left join ledger as l using (warehouse_entity_key, sku_entity_key, month_end_date)
left join opening as o using (warehouse_entity_key, sku_entity_key, month_end_date)
where
    s.month_end_date >= {{ checked_from }}
    and s.quantity_on_hand <> coalesce(s.previous_on_hand, 0) + coalesce(l.net_quantity, 0) + coalesce(o.quantity_on_hand, 0)
