-- Redshift physical design: Hundreds of rows: replicate to every node.
{{ config(dist='all', sort=['warehouse_id', 'effective_from']) }}
-- SCD type 2 warehouse dimension: one row per version of a warehouse's attributes.
with versions as (
    {{ latest_loaded(source('bronze', 'warehouses'), ['warehouse_id', 'valid_from']) }}
)

select
    {{ surrogate_key(['warehouse_id', 'valid_from']) }} as warehouse_key,
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
