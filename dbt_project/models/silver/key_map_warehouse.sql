-- Redshift physical design: Hundreds of rows: a copy on every node, like the dimension it keys.
{{ config(
    materialized='incremental', incremental_strategy='append', full_refresh=false, on_schema_change='fail',
    dist='all', sort=['warehouse_id']
) }}
-- The integer key of each warehouse (warehouse_id), whatever its versions: dim_warehouse's
-- warehouse_entity_key, the month-end snapshot's pair identity, which a new warehouse version does not
-- change. Append-only; a key never changes (macros/key_map.sql).
{{ key_map_new_keys(source('bronze', 'warehouses'), ['warehouse_id'], 'warehouse_entity_key') }}
