{{ config(meta={'dagster': {'ref': {'name': 'fct_inventory_transactions_all_history'}}}) }}
-- Every transfer leaves one warehouse and arrives in another: per transfer id the TRANSFER_OUT and
-- TRANSFER_IN quantities cancel out, between two different warehouses, for one SKU.
-- Checks the transfers with a leg in the days the latest build wrote (macros/test_scope.sql), with all
-- their legs from the whole history: a transfer's legs can straddle the build's first day or the cold
-- tier's watermark. (A restatement that drops a transfer's only leg in those days leaves nothing here
-- to check; ledger_conserves_bronze_rows fails on the lost row.) The fact keeps the transfer id on
-- transfer legs (about 1% of rows); the warehouse and SKU come from the version keys.
{#- A check on the ledger with its cold tier (the relation it reads), and the hot fact by name, not ref:
    dagster-dbt attaches a test only to a model it refs, and a check on the hot fact that reads the cold
    tier would depend on the offload, which reads the fact: a cycle in the prod code location. #}
{%- set history = ref('fct_inventory_transactions_all_history') %}
{%- set checked_from = latest_build_from(history.incorporate(path={'identifier': 'fct_inventory_transactions'}), 'event_date') %}
with checked as (
    select distinct transfer_id
    from {{ ref('fct_inventory_transactions_all_history') }}
    where event_date >= {{ checked_from }} and movement_type in ('TRANSFER_OUT', 'TRANSFER_IN')
),

legs as (
    select
        f.transfer_id,
        f.movement_type,
        f.quantity,
        w.warehouse_id,
        p.sku_id
    from {{ ref('fct_inventory_transactions_all_history') }} as f
    inner join checked as c on c.transfer_id = f.transfer_id
    left join {{ ref('dim_warehouse') }} as w on w.warehouse_key = f.warehouse_key
    left join {{ ref('dim_product') }} as p on p.product_key = f.product_key
    where f.movement_type in ('TRANSFER_OUT', 'TRANSFER_IN')
)

select
    transfer_id,
    sum(quantity) as net_quantity,
    count(distinct warehouse_id) as warehouses,
    count(distinct sku_id) as skus,
    sum(case when movement_type = 'TRANSFER_OUT' then 1 else 0 end) as outs,
    sum(case when movement_type = 'TRANSFER_IN' then 1 else 0 end) as ins
from legs
group by transfer_id
having
    sum(quantity) <> 0
    or count(distinct warehouse_id) <> 2
    or count(distinct sku_id) <> 1
    or sum(case when movement_type = 'TRANSFER_OUT' then 1 else 0 end) = 0
    or sum(case when movement_type = 'TRANSFER_IN' then 1 else 0 end) = 0
