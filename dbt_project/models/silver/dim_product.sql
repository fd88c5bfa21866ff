-- Redshift physical design: Small dimension: a copy on every node makes the as-of join local.
{{ config(dist='all', sort=['sku_id', 'effective_from']) }}
-- SCD type 2 product dimension: one row per version of a SKU's attributes.
with loaded as (
    {{ latest_loaded(source('bronze', 'products'), ['sku_id', 'valid_from']) }}
),

-- Each version's integer key, and its SKU's: the maps are built from the same Bronze table before this model.
versions as (
    select
        k.product_key,
        e.sku_entity_key,
        loaded.*
    from loaded
    inner join {{ ref('key_map_product_version') }} as k
        on k.sku_id = loaded.sku_id and k.valid_from = loaded.valid_from
    inner join {{ ref('key_map_sku') }} as e
        on e.sku_id = loaded.sku_id
)

select
    product_key,
    sku_entity_key,
    sku_id,
    product_name,
    category_code,
    category_name,
    brand,
    unit_of_measure,
    valid_from as effective_from,
    {{ version_effective_to(['sku_id'], 'valid_from') }} as effective_to,
    {{ version_is_current(['sku_id'], 'valid_from') }} as is_current
from versions
