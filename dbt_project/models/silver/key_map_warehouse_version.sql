-- Redshift physical design: Hundreds of rows: a copy on every node, like the dimension it keys.
{{ config(
    materialized='incremental', incremental_strategy='append', full_refresh=false, on_schema_change='fail',
    dist='all', sort=['warehouse_id', 'valid_from']
) }}
-- The integer key of each warehouse version (warehouse_id, valid_from): dim_warehouse's warehouse_key, the
-- fact's pointer to the version in force on the event day. Append-only; a key never changes (macros/key_map.sql).
{{ key_map_new_keys(source('bronze', 'warehouses'), ['warehouse_id', 'valid_from'], 'warehouse_key') }}
