-- Redshift physical design: A few hundred thousand rows: a copy on every node, like the dimension it keys.
{{ config(
    materialized='incremental', incremental_strategy='append', full_refresh=false, on_schema_change='fail',
    dist='all', sort=['sku_id', 'valid_from']
) }}
-- The integer key of each product version (sku_id, valid_from): dim_product's product_key, the fact's
-- pointer to the version in force on the event day. Append-only; a key never changes (macros/key_map.sql).
{{ key_map_new_keys(source('bronze', 'products'), ['sku_id', 'valid_from'], 'product_key') }}
