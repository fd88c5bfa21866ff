-- The executive YoY question (month-end inventory value in USD, company total and per category, with
-- prior year, YoY and constant-currency YoY) answered from Bronze alone: the landed ledger, opening
-- balances, standard costs, FX rates and the product/warehouse change logs. No Silver or Gold table is
-- read. Written independently of the dbt models (attributes looked up per month with as-of joins, balances
-- by a window over a dense pair x month grid) and follows docs/valuation.md: balance x standard cost in force
-- at month end x the month's closing rate, each category x warehouse x month cell rounded to the cent.
-- The ledger is summed as loaded: it assumes each transaction_id was loaded once and nothing streamed
-- (the bench checks this by requiring the same numbers as Gold).
with ledger as (
    select warehouse_id, sku_id, last_day(cast(month_start as date)) as month_end, net, moves
    from (
        select warehouse_id, sku_id, date_trunc('month', event_ts) as month_start,
               sum(quantity) as net, count(*) as moves
        from bronze.inventory_transactions
        group by all
    ) as by_month
),

-- reference data: the latest load of each natural key (Bronze is append-only)
opening as (
    select warehouse_id, sku_id, last_day(as_of_date) as month_end, quantity_on_hand
    from bronze.opening_balances
    qualify row_number() over (partition by warehouse_id, sku_id
                               order by _loaded_at desc, _batch_id desc, _source_row desc) = 1
),

products as (
    select sku_id, valid_from, category_code
    from bronze.products
    qualify row_number() over (partition by sku_id, valid_from
                               order by _loaded_at desc, _batch_id desc, _source_row desc) = 1
),

warehouses as (
    select warehouse_id, valid_from, currency_code
    from bronze.warehouses
    qualify row_number() over (partition by warehouse_id, valid_from
                               order by _loaded_at desc, _batch_id desc, _source_row desc) = 1
),

costs as (
    select sku_id, currency_code, effective_date, standard_cost
    from bronze.standard_costs
    qualify row_number() over (partition by sku_id, currency_code, effective_date
                               order by _loaded_at desc, _batch_id desc, _source_row desc) = 1
),

-- closing rate of each month: the rate of its last business day
closing_rates as (
    select currency_code, last_day(rate_date) as month_end, arg_max(usd_per_unit, rate_date) as usd_per_unit
    from (
        select rate_date, currency_code, usd_per_unit
        from bronze.fx_rates
        qualify row_number() over (partition by rate_date, currency_code
                                   order by _loaded_at desc, _batch_id desc, _source_row desc) = 1
    ) as rates
    group by all
),

flows as (
    select warehouse_id, sku_id, month_end, sum(net) as net, sum(moves) as moves
    from (
        select warehouse_id, sku_id, month_end, net, moves from ledger
        union all
        select warehouse_id, sku_id, month_end, quantity_on_hand, 0 from opening
    ) as f
    group by all
),

months as (
    select distinct month_end from flows
    where month_end <= (select max(month_end) from ledger)
),

pairs as (
    select warehouse_id, sku_id, min(month_end) as first_month_end from flows group by all
),

balances as (
    select
        p.warehouse_id,
        p.sku_id,
        m.month_end,
        coalesce(f.moves, 0) as moves,
        sum(coalesce(f.net, 0)) over (partition by p.warehouse_id, p.sku_id order by m.month_end) as quantity
    from pairs as p
    inner join months as m on m.month_end >= p.first_month_end
    left join flows as f on f.warehouse_id = p.warehouse_id and f.sku_id = p.sku_id and f.month_end = m.month_end
),

-- the product and warehouse version in force at each month end (as-of lookups on the small change logs)
product_months as (
    select s.sku_id, m.month_end, p.category_code
    from (select distinct sku_id from products) as s
    cross join months as m
    asof left join products as p on p.sku_id = s.sku_id and p.valid_from <= m.month_end
),

warehouse_months as (
    select s.warehouse_id, m.month_end, w.currency_code
    from (select distinct warehouse_id from warehouses) as s
    cross join months as m
    asof left join warehouses as w on w.warehouse_id = s.warehouse_id and w.valid_from <= m.month_end
),

-- each cost is in force from its effective date until the next one of the same SKU and currency
cost_windows as (
    select sku_id, currency_code, standard_cost, effective_date,
           lead(effective_date, 1, date '9999-12-31') over (partition by sku_id, currency_code order by effective_date)
               as superseded_on
    from costs
),

valued as (
    select
        b.month_end,
        b.warehouse_id,
        p.category_code,
        w.currency_code,
        cast(b.quantity as bigint) * c.standard_cost as value_local
    from balances as b
    left join product_months as p on p.sku_id = b.sku_id and p.month_end = b.month_end
    left join warehouse_months as w on w.warehouse_id = b.warehouse_id and w.month_end = b.month_end
    left join cost_windows as c
        on c.sku_id = b.sku_id and c.currency_code = w.currency_code
        and c.effective_date <= b.month_end and b.month_end < c.superseded_on
    where b.quantity <> 0 or b.moves > 0
),

cells as (
    select
        v.month_end,
        v.warehouse_id,
        v.category_code,
        round(sum(v.value_local * r.usd_per_unit), 2) as value_usd,
        round(sum(v.value_local) * py.usd_per_unit, 2) as value_cc
    from valued as v
    left join closing_rates as r on r.currency_code = v.currency_code and r.month_end = v.month_end
    left join closing_rates as py
        on py.currency_code = v.currency_code and py.month_end = last_day(v.month_end - interval 12 month)
    group by v.month_end, v.warehouse_id, v.category_code, v.currency_code, py.usd_per_unit
),

totals as (
    select month_end, scope, sum(value_usd) as value_usd, sum(value_cc) as value_cc
    from (
        select month_end, 'TOTAL' as scope, value_usd, value_cc from cells
        union all
        select month_end, category_code, value_usd, value_cc from cells
    ) as scoped
    group by all
),

-- a month has a YoY row per scope that had value in it or in the same month a year earlier
answer_keys as (
    select month_end, scope from totals
    union
    select last_day(month_end + interval 12 month), scope from totals
    where last_day(month_end + interval 12 month) in (select month_end from totals)
),

comparable as (
    select distinct k.month_end
    from answer_keys as k
    inner join totals as py on py.month_end = last_day(k.month_end - interval 12 month)
    order by k.month_end desc
    limit $months
),

answer as (
    select
        k.month_end,
        k.scope,
        cast(coalesce(cur.value_usd, 0) as decimal(38, 2)) as value_usd,
        cast(py.value_usd as decimal(38, 2)) as prior_year_value_usd,
        cast(coalesce(cur.value_usd, 0) - py.value_usd as decimal(38, 2)) as yoy_change_usd,
        coalesce(cur.value_cc, case when cur.scope is null then 0 end) as value_cc
    from answer_keys as k
    inner join comparable as m on m.month_end = k.month_end
    left join totals as cur on cur.month_end = k.month_end and cur.scope = k.scope
    left join totals as py on py.month_end = last_day(k.month_end - interval 12 month) and py.scope = k.scope
)

select
    month_end,
    scope,
    value_usd,
    prior_year_value_usd,
    yoy_change_usd,
    case when prior_year_value_usd is null or prior_year_value_usd = 0 then null
         else cast(value_usd - prior_year_value_usd as double) / cast(prior_year_value_usd as double) * 100 end as yoy_pct,
    cast(value_cc as decimal(38, 2)) as value_constant_currency_usd,
    case when prior_year_value_usd is null or prior_year_value_usd = 0 then null
         else cast(value_cc - prior_year_value_usd as double) / cast(prior_year_value_usd as double) * 100
    end as constant_currency_yoy_pct
from answer
order by month_end, scope
