{{ config(meta={'dagster': {'ref': {'name': 'fct_inventory_snapshot_month_end'}}}) }}
-- Stock on hand below zero is only legitimate in a warehouse that allows backorders.
select
    w.warehouse_id,
    k.sku_id,
    s.month_end_date,
    s.quantity_on_hand
from {{ ref('fct_inventory_snapshot_month_end') }} as s
inner join {{ ref('dim_warehouse') }} as w
    on w.warehouse_entity_key = s.warehouse_entity_key
    and s.month_end_date >= w.effective_from and s.month_end_date < w.effective_to
left join {{ ref('key_map_sku') }} as k on k.sku_entity_key = s.sku_entity_key
where s.quantity_on_hand < 0 and not w.allows_backorder
