-- Redshift physical design: empty when every SKU has a cost; replicate everywhere, sorted by month.
{{ config(dist='all', sort=['month_key', 'warehouse_id']) }}
-- Stock that Gold counts in quantity_on_hand but cannot value: units of SKUs with no standard cost in
-- force at the month end, per category x warehouse x month (docs/valuation.md). Gold's value is the
-- value of the valued stock; this table is the rest, so a reader sees "value + N units unvalued".
-- Empty when healthy; the check stock_without_standard_cost fails while it is not.
-- A row of the snapshot without value_local is stock with no cost in force (its quantity is never empty).
with unvalued as (
    select
        s.month_end_date,
        s.warehouse_entity_key,
        p.category_code,
        cast(sum(s.quantity_on_hand) as bigint) as unvalued_quantity_on_hand,
        count(distinct s.sku_entity_key) as unvalued_sku_count
    from {{ ref('fct_inventory_snapshot_month_end') }} as s
    inner join {{ ref('dim_product') }} as p on p.product_key = s.product_key
    where s.value_local is null and s.quantity_on_hand <> 0
    group by s.month_end_date, s.warehouse_entity_key, p.category_code
)

select
    u.month_end_date,
    {{ month_key('u.month_end_date') }} as month_key,
    w.warehouse_id,
    u.category_code,
    w.currency_code,
    u.unvalued_quantity_on_hand,
    u.unvalued_sku_count
from unvalued as u
inner join {{ ref('dim_warehouse') }} as w
    on w.warehouse_entity_key = u.warehouse_entity_key
    and u.month_end_date >= w.effective_from and u.month_end_date < w.effective_to
