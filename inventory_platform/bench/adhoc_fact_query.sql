-- An analyst's ad-hoc question on the Silver star schema (not Gold): net movement value in USD by product
-- category x warehouse region x month over the last 36 months, joined through the dimensions. Movement value
-- is translated at the month's average rate (fx_rates_monthly), as a P&L flow is.
select
    f.month_end_date,
    p.category_code,
    p.category_name,
    w.region,
    count(*) as movements,
    sum(f.quantity) as net_quantity,
    round(sum(f.extended_value_local * x.month_average_usd_per_unit), 2) as net_movement_value_usd
from silver.fct_inventory_transactions as f
inner join silver.dim_product as p on f.product_key = p.product_key
inner join silver.dim_warehouse as w on f.warehouse_key = w.warehouse_key
inner join silver.fx_rates_monthly as x
    on w.currency_code = x.currency_code and f.month_end_date = x.month_end_date
where f.event_date >= $from_day
group by f.month_end_date, p.category_code, p.category_name, w.region
order by f.month_end_date, p.category_code, w.region
