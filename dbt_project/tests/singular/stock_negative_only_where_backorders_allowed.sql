{{ config(meta={'dagster': {'ref': {'name': 'fct_inventory_snapshot_month_end'}}}) }}
-- Stock on hand below zero is only legitimate in a warehouse that allows backorders.
select
    s.warehouse_id,
    s.sku_id,
    s.month_end_date,
    s.quantity_on_hand
from {{ ref('fct_inventory_snapshot_month_end') }} as s
inner join {{ ref('dim_warehouse') }} as w on w.warehouse_key = s.warehouse_key
where s.quantity_on_hand < 0 and not w.allows_backorder
