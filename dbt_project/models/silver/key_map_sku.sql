-- Redshift physical design: About 100K rows: a copy on every node, like the dimension it keys.
{{ config(
    materialized='incremental', incremental_strategy='append', full_refresh=false, on_schema_change='fail',
    dist='all', sort=['sku_id']
) }}
-- The integer key of each SKU (sku_id), whatever its versions: dim_product's sku_entity_key, the month-end
-- snapshot's pair identity, which a new product version does not change. Append-only; a key never changes
-- (macros/key_map.sql).
{{ key_map_new_keys(source('bronze', 'products'), ['sku_id'], 'sku_entity_key') }}
