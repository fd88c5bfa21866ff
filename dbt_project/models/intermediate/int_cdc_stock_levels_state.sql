-- Redshift physical design: one row per warehouse x SKU, read whole by stock_levels_current and cdc_rejects,
-- so distributed on sku_id like them.
{{ config(
    dist='sku_id', sort=['warehouse_id', 'sku_id'],
    materialized='incremental', incremental_strategy='delete+insert', unique_key=['warehouse_id', 'sku_id'],
    on_schema_change='fail'
) }}
-- Stock levels as the source holds them now, deletes included: per warehouse x SKU the change with the
-- highest lsn, redeliveries collapsed. Incremental (cdc_merge_state): a run merges the events Bronze loaded
-- since the last one. stock_levels_current applies it against the conformed dimensions; cdc_rejects lists
-- what they do not know.
with {{ cdc_change_ctes(source('bronze', 'cdc_events'), 'stock_levels', {
        'warehouse_id': 'varchar', 'sku_id': 'varchar', 'quantity_on_hand': 'bigint',
        'unit_of_measure': 'varchar', 'currency_code': 'varchar', 'updated_at': 'timestamp'},
        ['warehouse_id', 'sku_id'], loaded_since=cdc_loaded_since(this)) }},

latest as (
    {{ cdc_latest('cdc_changes', ['warehouse_id', 'sku_id']) }}
),

changed as (
    select
        warehouse_id,
        sku_id,
        quantity_on_hand,
        unit_of_measure,
        currency_code,
        updated_at,
        event_id,
        op as last_op,
        source_lsn,
        {{ epoch_ms_to_timestamp('source_ts_ms') }} as source_committed_at,
        stream_name,
        shard_id,
        sequence_number,
        approximate_arrival_timestamp as arrived_at,
        _loaded_at as loaded_at
    from latest
)

{{ cdc_merge_state('changed', this, ['warehouse_id', 'sku_id'], [
    'warehouse_id', 'sku_id', 'quantity_on_hand', 'unit_of_measure', 'currency_code', 'updated_at', 'event_id',
    'last_op', 'source_lsn', 'source_committed_at', 'stream_name', 'shard_id', 'sequence_number', 'arrived_at',
    'loaded_at']) }}
