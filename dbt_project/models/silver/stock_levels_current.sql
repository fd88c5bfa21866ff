-- Redshift physical design: one row per warehouse x SKU; distributed on sku_id like the ledger and the snapshot it is compared with.
{{ config(dist='sku_id', sort=['warehouse_id', 'sku_id']) }}
-- Current stock on hand per warehouse x SKU as the source system reports it through CDC: per key
-- the change with the highest lsn (int_cdc_stock_levels_state); keys whose last change is a delete are gone. A key whose warehouse
-- or SKU the conformed dimensions do not know is not applied: it is in cdc_rejects, whose check fails.
with checked as (
    {{ cdc_key_check(ref('int_cdc_stock_levels_state'), ref('dim_product'), ref('dim_warehouse')) }}
)

select
    warehouse_id,
    sku_id,
    quantity_on_hand,
    unit_of_measure,
    currency_code,
    updated_at,
    source_lsn,
    source_committed_at,
    loaded_at
from checked
where
    last_op <> 'd'
    and reject_reason is null
