-- Redshift physical design: Small dimension: a copy on every node makes the as-of join local.
{{ config(dist='all', sort=['sku_id', 'effective_from']) }}
-- SCD type 2 product dimension: one row per version of a SKU's attributes.
with versions as (
    {{ latest_loaded(source('bronze', 'products'), ['sku_id', 'valid_from']) }}
)

select
    {{ surrogate_key(['sku_id', 'valid_from']) }} as product_key,
    sku_id,
    product_name,
    category_code,
    category_name,
    brand,
    unit_of_measure,
    valid_from as effective_from,
    coalesce(
        lead(valid_from) over (partition by sku_id order by valid_from),
        {{ end_of_time() }}
    ) as effective_to,
    lead(valid_from) over (partition by sku_id order by valid_from) is null as is_current
from versions
