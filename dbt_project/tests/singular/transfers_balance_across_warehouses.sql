{{ config(meta={'dagster': {'ref': {'name': 'fct_inventory_transactions'}}}) }}
-- Every transfer leaves one warehouse and arrives in another: per transfer id the TRANSFER_OUT and
-- TRANSFER_IN quantities cancel out, between two different warehouses, for one SKU.
-- Over all history: a transfer's two legs can straddle the cold tier's watermark. The transfer id
-- (reference_id) and the warehouse and SKU ids come through the detail view (Bronze, the dimensions).
select
    reference_id,
    sum(quantity) as net_quantity,
    count(distinct warehouse_id) as warehouses,
    count(distinct sku_id) as skus,
    sum(case when movement_type = 'TRANSFER_OUT' then 1 else 0 end) as outs,
    sum(case when movement_type = 'TRANSFER_IN' then 1 else 0 end) as ins
from {{ ref('fct_inventory_transactions_detail') }}
where movement_type in ('TRANSFER_OUT', 'TRANSFER_IN')
group by reference_id
having
    sum(quantity) <> 0
    or count(distinct warehouse_id) <> 2
    or count(distinct sku_id) <> 1
    or sum(case when movement_type = 'TRANSFER_OUT' then 1 else 0 end) = 0
    or sum(case when movement_type = 'TRANSFER_IN' then 1 else 0 end) = 0
