-- Redshift physical design: streamed movements (a small fraction of the ledger) distributed like the ledger on
-- sku_id and sorted by the source log position, the order changes arrive in.
{{ config(
    dist='sku_id', sort=['source_lsn'],
    materialized='incremental', incremental_strategy='delete+insert', unique_key=['transaction_id'],
    on_schema_change='fail'
) }}
-- The streamed inventory transactions as the source holds them now: per transaction_id the change
-- with the highest lsn (last writer wins), redeliveries collapsed; deletes are kept as tombstones
-- (is_deleted) because they also remove a batch-loaded row with the same id from the ledger.
-- Incremental (cdc_merge_state): a run merges the events Bronze loaded since the last one.
with {{ cdc_change_ctes(source('bronze', 'cdc_events'), 'inventory_transactions', {
        'transaction_id': 'bigint', 'event_ts': 'timestamp', 'warehouse_id': 'varchar', 'sku_id': 'varchar',
        'movement_type': 'varchar', 'quantity': 'bigint', 'reference_id': 'varchar'}, ['transaction_id'],
        loaded_since=cdc_loaded_since(this)) }},

latest as (
    {{ cdc_latest('cdc_changes', ['transaction_id']) }}
),

changed as (
    select
        transaction_id,
        event_ts,
        warehouse_id,
        sku_id,
        movement_type,
        quantity,
        reference_id,
        event_id,
        op = 'd' as is_deleted,
        op as last_op,
        source_lsn,
        {{ epoch_ms_to_timestamp('source_ts_ms') }} as source_committed_at,
        stream_name,
        shard_id,
        sequence_number,
        approximate_arrival_timestamp as arrived_at,
        _loaded_at as loaded_at,
        _batch_id as load_batch_id
    from latest
)

{{ cdc_merge_state('changed', this, ['transaction_id'], [
    'transaction_id', 'event_ts', 'warehouse_id', 'sku_id', 'movement_type', 'quantity', 'reference_id', 'event_id',
    'is_deleted', 'last_op', 'source_lsn', 'source_committed_at', 'stream_name', 'shard_id', 'sequence_number',
    'arrived_at', 'loaded_at', 'load_batch_id']) }}
