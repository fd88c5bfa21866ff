{#
  The cold tier (docs/architecture/cold_tier.md): ledger history older than the retention window lives in
  Parquet partitioned by year/month, written by the ops/cold_tier_offload asset locally and by UNLOAD in
  production (inventory_platform/cold_tier/redshift_cold_tier.sql). The manifest table (source ops.cold_tier_offload) lists
  the committed offloads; its latest cutoff is the watermark: hot rows from it on, cold rows before it.
#}

{# The ledger's columns and types, as the contract in models/silver/fct_inventory_transactions.yml declares them. #}
{% macro ledger_columns() -%}
    {{ return({
        'transaction_id': 'bigint', 'event_ts': 'timestamp', 'event_date': 'date', 'month_end_date': 'date',
        'warehouse_key': 'integer', 'product_key': 'integer', 'movement_type': 'varchar', 'quantity': 'bigint', 'transfer_id': 'varchar',
        'extended_value_local': 'numeric(18,4)', 'load_file_key': 'bigint', 'source_row': 'bigint',
        'source_lsn': 'bigint'}) }}
{%- endmacro %}

{# One row, column cutoff_date: the first event date the hot tier answers for (far past: nothing offloaded). #}
{% macro cold_tier_watermark(manifest, table_name) -%}
    {{ return(adapter.dispatch('cold_tier_watermark', 'inventory_platform')(manifest, table_name)) }}
{%- endmacro %}

{% macro default__cold_tier_watermark(manifest, table_name) -%}
    select cast('0001-01-01' as date) as cutoff_date
{%- endmacro %}

{% macro cold_tier_watermark_from(manifest, table_name) -%}
    select coalesce(max(cutoff_date), cast('0001-01-01' as date)) as cutoff_date
    from {{ manifest }}
    where table_name = '{{ table_name }}'
{%- endmacro %}

{# Locally the manifest exists once the offload asset has run; before that nothing is cold. #}
{% macro duckdb__cold_tier_watermark(manifest, table_name) -%}
    {%- if execute and load_relation(manifest) is not none -%}
        {{ cold_tier_watermark_from(manifest, table_name) }}
    {%- else -%}
        {{ default__cold_tier_watermark(manifest, table_name) }}
    {%- endif -%}
{%- endmacro %}

{# In production the manifest table is created with the external schema (inventory_platform/cold_tier/redshift_cold_tier.sql). #}
{% macro redshift__cold_tier_watermark(manifest, table_name) -%}
    {{ cold_tier_watermark_from(manifest, table_name) }}
{%- endmacro %}

{#
  The committed cold rows of a table, with the ledger's column names and types. Only files whose offload
  committed (offload_id in the manifest) are read: files of an interrupted offload are never counted.
#}
{% macro cold_tier_rows(manifest, table_name) -%}
    {{ return(adapter.dispatch('cold_tier_rows', 'inventory_platform')(manifest, table_name)) }}
{%- endmacro %}

{# Engines without a cold tier (PostgreSQL in CI): no rows, the same columns. #}
{% macro default__cold_tier_rows(manifest, table_name) -%}
    select
    {%- for name, type in ledger_columns().items() %}
        cast(null as {{ type }}) as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
    where 1 = 0
{%- endmacro %}

{% macro cold_tier_select(relation, manifest, table_name) -%}
    select
    {%- for name, type in ledger_columns().items() %}
        cast(cold.{{ name }} as {{ type }}) as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ relation }} as cold
    where cold.offload_id in (select offload_id from {{ manifest }} where table_name = '{{ table_name }}')
{%- endmacro %}

{#
  DuckDB reads the Parquet in place (INVENTORY_COLD_DIR). read_parquet fails on a folder without files, so
  before the first offload the view is built without the cold side; the offload job rebuilds this view
  right after the offload, and the test cold_tier_union_matches_manifest fails while it is stale.
#}
{% macro duckdb__cold_tier_rows(manifest, table_name) -%}
    {%- set cold_dir = env_var('INVENTORY_COLD_DIR', '') -%}
    {%- set files = (cold_dir ~ '/' ~ table_name ~ '/year=*/month=*/*.parquet') | replace("'", "''") -%}
    {%- set has_files = false -%}
    {%- if execute and cold_dir and load_relation(manifest) is not none -%}
        {%- set has_files = run_query("select count(*) from glob('" ~ files ~ "')").columns[0].values()[0] > 0 -%}
    {%- endif -%}
    {%- if has_files -%}
        {{ cold_tier_select("read_parquet('" ~ files ~ "', hive_partitioning = true)", manifest, table_name) }}
    {%- else -%}
        {{ default__cold_tier_rows(manifest, table_name) }}
    {%- endif -%}
{%- endmacro %}

{# Redshift Spectrum: the external table over the UNLOADed Parquet (partitions year, month). #}
{% macro redshift__cold_tier_rows(manifest, table_name) -%}
    {%- set external = api.Relation.create(schema=var('cold_external_schema', 'cold'), identifier=table_name) -%}
    {{ cold_tier_select(external, manifest, table_name) }}
{%- endmacro %}

{# Per month: the ledger rows, quantity and value the manifest recorded when they were offloaded (none
   where the engine has no cold tier or nothing was offloaded yet). #}
{% macro cold_tier_recorded_months(manifest, table_name) -%}
    {{ return(adapter.dispatch('cold_tier_recorded_months', 'inventory_platform')(manifest, table_name)) }}
{%- endmacro %}

{% macro default__cold_tier_recorded_months(manifest, table_name) -%}
    select cast(null as integer) as year, cast(null as integer) as month, cast(null as bigint) as row_count,
           cast(null as bigint) as quantity_sum, cast(null as numeric(38,4)) as value_sum
    where 1 = 0
{%- endmacro %}

{% macro cold_tier_recorded_months_from(manifest, table_name) -%}
    select year, month, sum(row_count) as row_count, sum(quantity_sum) as quantity_sum, sum(value_sum) as value_sum
    from {{ manifest }}
    where table_name = '{{ table_name }}' and row_count > 0
    group by year, month
{%- endmacro %}

{% macro duckdb__cold_tier_recorded_months(manifest, table_name) -%}
    {%- if execute and load_relation(manifest) is not none -%}
        {{ cold_tier_recorded_months_from(manifest, table_name) }}
    {%- else -%}
        {{ default__cold_tier_recorded_months(manifest, table_name) }}
    {%- endif -%}
{%- endmacro %}

{% macro redshift__cold_tier_recorded_months(manifest, table_name) -%}
    {{ cold_tier_recorded_months_from(manifest, table_name) }}
{%- endmacro %}
