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
    coalesce(
        lead(effective_date) over (partition by sku_id, currency_code order by effective_date),
        {{ end_of_time() }}
    ) as effective_to
from costs
