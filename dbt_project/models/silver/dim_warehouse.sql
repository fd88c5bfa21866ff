-- Redshift physical design: Hundreds of rows: replicate to every node.
{{ config(dist='all', sort=['warehouse_id', 'effective_from']) }}
-- SCD type 2 warehouse dimension: one row per version of a warehouse's attributes.
with loaded as (
    {{ latest_loaded(source('bronze', 'warehouses'), ['warehouse_id', 'valid_from']) }}
),

-- Each version's integer key, and its warehouse's: the maps are built from the same Bronze table before this model.
versions as (
    select
        k.warehouse_key,
        e.warehouse_entity_key,
        loaded.*
    from loaded
    inner join {{ ref('key_map_warehouse_version') }} as k
        on k.warehouse_id = loaded.warehouse_id and k.valid_from = loaded.valid_from
    inner join {{ ref('key_map_warehouse') }} as e
        on e.warehouse_id = loaded.warehouse_id
)

select
    warehouse_key,
    warehouse_entity_key,
    warehouse_id,
    warehouse_name,
    region,
    country_code,
    city,
    currency_code,
    open_date,
    close_date,
    allows_backorder,
    valid_from as effective_from,
    {{ version_effective_to(['warehouse_id'], 'valid_from') }} as effective_to,
    {{ version_is_current(['warehouse_id'], 'valid_from') }} as is_current
from versions
