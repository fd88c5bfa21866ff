-- Redshift physical design: Millions of rows at full scale: co-located with the facts on sku_id instead of replicated.
{{ config(dist='sku_id', sort=['sku_id', 'effective_from']) }}
-- Standard cost per SKU and currency with its validity window [effective_from, effective_to).
with costs as (
    {{ latest_loaded(source('bronze', 'standard_costs'), ['sku_id', 'currency_code', 'effective_date']) }}
)

select
    sku_id,
    currency_code,
    standard_cost,
    effective_date as effective_from,
    {{ version_effective_to(['sku_id', 'currency_code'], 'effective_date') }} as effective_to
from costs
