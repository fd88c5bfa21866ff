-- Redshift physical design: empty when every SKU has a cost; replicate everywhere, sorted by month.
{{ config(dist='all', sort=['month_key', 'warehouse_id']) }}
-- Stock that Gold counts in quantity_on_hand but cannot value: units of SKUs with no standard cost in
-- force at the month end, per category x warehouse x month (docs/valuation.md). Gold's value is the
-- value of the valued stock; this table is the rest, so a reader sees "value + N units unvalued".
-- Empty when healthy; the check stock_without_standard_cost fails while it is not.
select
    s.month_end_date,
    s.month_key,
    s.warehouse_id,
    s.category_code,
    s.currency_code,
    cast(sum(s.quantity_on_hand) as bigint) as unvalued_quantity_on_hand,
    count(distinct s.sku_id) as unvalued_sku_count
from {{ ref('fct_inventory_snapshot_month_end') }} as s
where s.unit_cost_local is null and s.quantity_on_hand <> 0
group by s.month_end_date, s.month_key, s.warehouse_id, s.category_code, s.currency_code
