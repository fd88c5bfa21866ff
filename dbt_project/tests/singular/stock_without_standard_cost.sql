{{ config(severity='warn', meta={'failure_message': true,
                                 'dagster': {'ref': {'name': 'fct_inventory_snapshot_month_end'}}}) }}
-- Stock on hand with no standard cost in force at the month end cannot be valued. Gold is published
-- anyway, with that stock counted apart in gold_unvalued_stock_monthly (docs/valuation.md): severity
-- warn so dbt does not withhold Gold, reported as a failed check (ERROR) by the platform. One row per
-- SKU and cost currency, naming its warehouses, its month ends and the fix.
with unvalued as (
    select
        p.sku_id,
        w.currency_code,
        w.warehouse_id,
        min(s.month_end_date) as first_month_end,
        max(s.month_end_date) as last_month_end,
        count(*) as month_ends
    from {{ ref('fct_inventory_snapshot_month_end') }} as s
    left join {{ ref('dim_warehouse') }} as w
        on w.warehouse_entity_key = s.warehouse_entity_key
        and s.month_end_date >= w.effective_from and s.month_end_date < w.effective_to
    left join {{ ref('key_map_sku') }} as p on p.sku_entity_key = s.sku_entity_key
    -- no value_local: no standard cost in force (its quantity is never empty)
    where s.value_local is null and s.quantity_on_hand <> 0
    group by p.sku_id, w.currency_code, w.warehouse_id
),

by_sku as (
    select
        sku_id,
        currency_code,
        min(first_month_end) as first_month_end,
        max(last_month_end) as last_month_end,
        sum(month_ends) as warehouse_month_ends,
        {{ listagg('warehouse_id', "', '", 'order by warehouse_id') }} as warehouses
    from unvalued
    group by sku_id, currency_code
)

select
    sku_id,
    currency_code,
    first_month_end,
    last_month_end,
    warehouses,
    'SKU ' || sku_id || ' has stock but no ' || currency_code || ' standard cost in warehouse(s) ' || warehouses
    || ' at month ends ' || cast(first_month_end as varchar) || ' to ' || cast(last_month_end as varchar)
    || ' (' || cast(warehouse_month_ends as varchar) || ' warehouse-month balances unvalued): load a '
    || currency_code || ' standard cost for ' || sku_id || ' effective on or before '
    || cast(first_month_end as varchar) as failure_message
from by_sku
