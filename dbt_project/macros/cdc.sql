{#
  Reading CDC payloads. Bronze keeps each event as JSON text on DuckDB and PostgreSQL and as SUPER
  (json_parse of the Kinesis record) in the Redshift streaming-ingestion view; Silver reads fields
  through json_value so that models stay the same on every engine.
#}
{% macro json_value(column, path, type) -%}
    {{ return(adapter.dispatch('json_value', 'inventory_platform')(column, path, type)) }}
{%- endmacro %}

{% macro default__json_value(column, path, type) -%}
    cast(cast({{ column }} as json) #>> '{ {{- path | join(',') -}} }' as {{ type }})
{%- endmacro %}

{% macro duckdb__json_value(column, path, type) -%}
    cast(json_extract_string({{ column }}, '$.{{ path | join('.') }}') as {{ type }})
{%- endmacro %}

{# SUPER navigation; quoted because names like "table" are reserved words. #}
{% macro redshift__json_value(column, path, type) -%}
    cast({{ column }}."{{ path | join('"."') }}" as {{ type }})
{%- endmacro %}

{# Debezium source.ts_ms (milliseconds since the epoch, UTC) as a timestamp. #}
{% macro epoch_ms_to_timestamp(expression) -%}
    (cast('1970-01-01' as timestamp) + ({{ expression }} / 1000.0) * interval '1 second')
{%- endmacro %}

{# ISO-8601 UTC text as emitted by the CDC handler ('2026-01-01T10:00:00.5Z') as a timestamp. #}
{% macro utc_iso_to_timestamp(expression) -%}
    cast(replace(replace({{ expression }}, 'T', ' '), 'Z', '') as timestamp)
{%- endmacro %}

{#
  CTEs `cdc_events` and `cdc_changes`: change events of one source table, one row per source change;
  redeliveries (same table, key and lsn) collapse to the first that arrived. `fields` maps image
  fields to types; `key_fields` form the row key; `events` is the Bronze relation bronze.cdc_events.
  `loaded_since` (a SQL timestamp, cdc_loaded_since): only events Bronze loaded at or after it.
#}
{% macro cdc_change_ctes(events, table_name, fields, key_fields, loaded_since=none) -%}
    cdc_events as (
        select
            {{ json_value('payload', ['event_id'], 'varchar') }} as event_id,
            {{ json_value('payload', ['op'], 'varchar') }} as op,
            {{ json_value('payload', ['source', 'lsn'], 'bigint') }} as source_lsn,
            {{ json_value('payload', ['source', 'ts_ms'], 'bigint') }} as source_ts_ms,
            {%- for field, type in fields.items() %}
            {%- set as_type = 'varchar' if type == 'timestamp' else type %}
            {% set value = "coalesce(" ~ json_value('payload', ['after', field], as_type) ~ ", " ~ json_value('payload', ['before', field], as_type) ~ ")" -%}
            {{ utc_iso_to_timestamp(value) if type == 'timestamp' else value }} as {{ field }},
            {%- endfor %}
            stream_name,
            shard_id,
            sequence_number,
            approximate_arrival_timestamp,
            _loaded_at,
            _batch_id
        from {{ events }}
        where {{ json_value('payload', ['source', 'table'], 'varchar') }} = '{{ table_name }}'
        {%- if loaded_since is not none %}
            and _loaded_at >= {{ loaded_since }}
        {%- endif %}
    ),

    cdc_deliveries as (
        select
            cdc_events.*,
            row_number() over (
                partition by {{ key_fields | join(', ') }}, source_lsn
                order by approximate_arrival_timestamp, shard_id, sequence_number
            ) as delivery_rank
        from cdc_events
    ),

    cdc_changes as (
        select * from cdc_deliveries where delivery_rank = 1
    )
{%- endmacro %}

{# The source's current state: per key, the change with the highest lsn (last writer wins). #}
{% macro cdc_latest(changes_relation, key_fields) -%}
    select * from (
        select
            changes.*,
            row_number() over (partition by {{ key_fields | join(', ') }} order by source_lsn desc) as lsn_rank
        from {{ changes_relation }} as changes
    ) as ranked
    where lsn_rank = 1
{%- endmacro %}

{#
  Incremental CDC state: a table of one row per source row, its change of highest lsn, kept up to date
  from the Bronze events loaded since the last run instead of rebuilt from every event (at 1M changes a day
  the rebuild grows without bound; the applier refreshes every few seconds).

  cdc_loaded_since(relation): on an incremental run, the newest Bronze load the state table holds, as a
  timestamp literal the scan of bronze.cdc_events prunes on; none on a first build or a full refresh (read
  every event). Events loaded at that moment are read again, and so are the few changes that lost to a
  higher lsn after it: merging them again changes nothing.
#}
{% macro cdc_loaded_since(relation) -%}
    {%- if not (execute and is_incremental()) -%}{{ return(none) }}{%- endif -%}
    {%- set rows = run_query('select max(loaded_at) from ' ~ relation).rows -%}
    {%- if rows | length == 0 or rows[0][0] is none -%}{{ return(none) }}{%- endif -%}
    {{ return("cast('" ~ rows[0][0] ~ "' as timestamp)") }}
{%- endmacro %}

{#
  The rows an incremental CDC state model writes (delete+insert on `key_fields`): `changed` holds the
  latest change of each key that new events touched, in the model's `columns`; on an incremental run each
  is merged with the key's stored row: the higher lsn wins, and of two deliveries of one change the first
  that arrived (arrived_at, shard_id, sequence_number), as cdc_change_ctes and cdc_latest decide over every
  event. So a late change with a lower lsn leaves the stored row as it is, and the table equals a rebuild.
#}
{% macro cdc_merge_state(changed, relation, key_fields, columns) -%}
    {%- if is_incremental() %}
    select {{ columns | join(', ') }}
    from (
        select
            candidates.*,
            row_number() over (
                partition by {{ key_fields | join(', ') }}
                order by source_lsn desc, arrived_at, shard_id, sequence_number
            ) as state_rank
        from (
            select {{ columns | join(', ') }} from {{ changed }}
            union all
            select {% for column in columns %}stored.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
            from {{ relation }} as stored
            inner join (select distinct {{ key_fields | join(', ') }} from {{ changed }}) as touched
                on {% for key in key_fields %}touched.{{ key }} = stored.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
        ) as candidates
    ) as ranked
    where state_rank = 1
    {%- else %}
    select {{ columns | join(', ') }} from {{ changed }}
    {%- endif %}
{%- endmacro %}

{#
  `relation` with `reject_reason`: why Silver cannot apply the change (a warehouse or SKU that no
  version of the conformed dimension knows), or null. Same reasons, in the same order, as the ledger's
  (resolved_ledger), so a key is refused alike on the batch and the streaming path. `products` and
  `warehouses` are the relations dim_product and dim_warehouse.
#}
{% macro cdc_key_check(relation, products, warehouses) -%}
    {#- Joins to the distinct keys, not correlated EXISTS in the select list, which Redshift does not support. #}
    select
        changes.*,
        case
            when known_skus.sku_id is null then cast('unknown sku_id' as varchar)
            when known_warehouses.warehouse_id is null then cast('unknown warehouse_id' as varchar)
        end as reject_reason
    from {{ relation }} as changes
    left join (select distinct sku_id from {{ products }}) as known_skus
        on known_skus.sku_id = changes.sku_id
    left join (select distinct warehouse_id from {{ warehouses }}) as known_warehouses
        on known_warehouses.warehouse_id = changes.warehouse_id
{%- endmacro %}
