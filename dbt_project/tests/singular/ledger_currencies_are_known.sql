{{ config(meta={'dagster': {'ref': {'name': 'fct_inventory_transactions'}}}) }}
-- Every ledger row is in a currency dim_currency knows: the currency of the warehouse version in force on
-- its event day (the lean ledger keeps the version key, not the currency). Checks the days the latest
-- build rewrote (macros/test_scope.sql).
select
    f.transaction_id,
    f.event_date,
    w.currency_code
from {{ ref('fct_inventory_transactions') }} as f
inner join {{ ref('dim_warehouse') }} as w on w.warehouse_key = f.warehouse_key
left join {{ ref('dim_currency') }} as c on c.currency_code = w.currency_code
where
    f.event_date >= {{ latest_build_from(ref('fct_inventory_transactions'), 'event_date') }}
    and c.currency_code is null
