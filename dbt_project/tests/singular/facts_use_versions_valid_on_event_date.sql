{{ config(meta={'dagster': {'ref': {'name': 'fct_inventory_transactions'}}}) }}
-- Each ledger row points at the product and warehouse versions whose window contains its event date.
-- Checks the days the latest build rewrote (macros/test_scope.sql): dimension keys are stable (key maps, never renumbered) and
-- a back-dated version restates the ledger from its first day, so earlier rows cannot have changed.
select
    f.transaction_id,
    f.event_date,
    p.effective_from as product_from,
    p.effective_to as product_to,
    w.effective_from as warehouse_from,
    w.effective_to as warehouse_to
from {{ ref('fct_inventory_transactions') }} as f
left join {{ ref('dim_product') }} as p on p.product_key = f.product_key
left join {{ ref('dim_warehouse') }} as w on w.warehouse_key = f.warehouse_key
where
    f.event_date >= {{ latest_build_from(ref('fct_inventory_transactions'), 'event_date') }}
    and (
        p.product_key is null or w.warehouse_key is null
        or not (f.event_date >= p.effective_from and f.event_date < p.effective_to)
        or not (f.event_date >= w.effective_from and f.event_date < w.effective_to)
    )
