-- Redshift physical design: one row per warehouse x SKU; distributed on sku_id like the ledger and the snapshot it is compared with.
{{ config(dist='sku_id', sort=['warehouse_id', 'sku_id']) }}
-- Current stock on hand per warehouse x SKU as the source system reports it through CDC: per key
-- the change with the highest lsn; keys whose last change is a delete are gone. A key whose warehouse
-- or SKU the conformed dimensions do not know is not applied: it is in cdc_rejects, whose check fails.
with {{ cdc_change_ctes(source('bronze', 'cdc_events'), 'stock_levels', {
        'warehouse_id': 'varchar', 'sku_id': 'varchar', 'quantity_on_hand': 'bigint',
        'unit_of_measure': 'varchar', 'currency_code': 'varchar', 'updated_at': 'timestamp'},
        ['warehouse_id', 'sku_id']) }},

latest as (
    {{ cdc_latest('cdc_changes', ['warehouse_id', 'sku_id']) }}
),

checked as (
    {{ cdc_key_check('latest', ref('dim_product'), ref('dim_warehouse')) }}
)

select
    warehouse_id,
    sku_id,
    quantity_on_hand,
    unit_of_measure,
    currency_code,
    updated_at,
    source_lsn,
    {{ epoch_ms_to_timestamp('source_ts_ms') }} as source_committed_at,
    _loaded_at as loaded_at
from checked
where
    op <> 'd'
    and reject_reason is null
