{# Late-binding on Redshift: rebuilding the snapshot or a dimension does not drop it. #}
{{ config(materialized='view', bind=False) }}
-- The month-end snapshot as a wide row: the lean snapshot's keys and measures with the warehouse and SKU
-- ids, the category of the product version in force at month end, the warehouse's currency, the unit
-- cost behind value_local and the value translated per row at the month-end closing rate
-- (docs/model_contracts.md "The lean snapshot"). For analysts and lookups; Gold reads the lean table and
-- translates per cell.
select
    s.month_end_date,
    {{ month_key('s.month_end_date') }} as month_key,
    w.warehouse_id,
    s.warehouse_entity_key,
    w.warehouse_key,
    p.sku_id,
    s.sku_entity_key,
    s.product_key,
    p.category_code,
    s.quantity_on_hand,
    s.net_movement_quantity,
    s.movement_count,
    w.currency_code,
    c.standard_cost as unit_cost_local,
    s.value_local,
    fx.month_end_usd_per_unit,
    cast({{ translate_to_reporting('s.value_local', 'fx.month_end_usd_per_unit') }} as numeric(38, 12)) as value_usd,
    s.bronze_loaded_through,
    s.build_id
from {{ ref('fct_inventory_snapshot_month_end') }} as s
left join {{ ref('dim_warehouse') }} as w
    on w.warehouse_entity_key = s.warehouse_entity_key
    and s.month_end_date >= w.effective_from and s.month_end_date < w.effective_to
left join {{ ref('dim_product') }} as p
    on p.product_key = s.product_key
left join {{ ref('standard_cost_history') }} as c
    on c.sku_id = p.sku_id
    and c.currency_code = w.currency_code
    and s.month_end_date >= c.effective_from and s.month_end_date < c.effective_to
left join {{ ref('fx_rates_monthly') }} as fx
    on fx.currency_code = w.currency_code and fx.month_end_date = s.month_end_date
