-- Redshift physical design: Co-located with the ledger and snapshot on sku_id.
{{ config(dist='sku_id', sort=['warehouse_id', 'sku_id']) }}
-- Stock on hand per warehouse and SKU before the ledger starts.
with balances as (
    {{ latest_loaded(source('bronze', 'opening_balances'), ['warehouse_id', 'sku_id']) }}
)

select
    warehouse_id,
    sku_id,
    as_of_date,
    quantity_on_hand
from balances
