{#
  Bronze read in place (inventory_platform/bronze/in_place.py): on DuckDB the ledger's Bronze is a view over
  every loaded Parquet file joined to bronze.load_log, so every scan of it opens every file (1,461 footers and
  a join of every row at `full`) even for a question the log answers from one row a file: when the newest
  file was loaded, how many rows each day holds. Those questions read the log instead; the answer is the
  view's exactly (tests/integration/test_bronze_load_log_reads.py), since the view is re-created from the log
  in the transaction that writes it. PostgreSQL and Redshift hold Bronze as tables and keep reading them.
#}

{#
  The load log's rows of the files a Bronze relation serves, one per file (load_file_key, batch_id,
  source_file, file_day, rows_loaded, loaded_at, and read_path: the file the view reads, absolute as
  in_place.resolve makes it), as a subquery; none when the relation is not read in place (a table, another
  engine, a unit test's fixture, or rendering without a warehouse). The log sits beside the view in the
  same schema: built with api.Relation.create, not source(), because it is the view's own bookkeeping,
  not another input of the graph. `file_day` is the file's date= folder, which the loader requires every
  row's event day to equal (validation.py rejects the file otherwise), so rows per day are exact.
#}
{% macro bronze_in_place_files(bronze_relation) -%}
    {{ return(adapter.dispatch('bronze_in_place_files', 'inventory_platform')(bronze_relation)) }}
{%- endmacro %}

{% macro default__bronze_in_place_files(bronze_relation) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro duckdb__bronze_in_place_files(bronze_relation) -%}
    {%- if not execute or bronze_relation.is_cte or bronze_relation.identifier is none -%}{{ return(none) }}{%- endif -%}
    {%- set built = adapter.get_relation(database=bronze_relation.database, schema=bronze_relation.schema,
                                         identifier=bronze_relation.identifier) -%}
    {%- set log = api.Relation.create(database=bronze_relation.database, schema=bronze_relation.schema,
                                      identifier='load_log') -%}
    {%- set root = api.Relation.create(database=bronze_relation.database, schema=bronze_relation.schema,
                                       identifier='landing_root') -%}
    {%- if built is none or not built.is_view
           or adapter.get_relation(database=log.database, schema=log.schema, identifier=log.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {#- The view's files: loaded, read from a path, not offloaded by the cold tier; a file without rows adds
        none to the view. -#}
    {%- set files -%}
    (
        select
            load_file_key,
            batch_id,
            source_file,
            try_cast(regexp_extract(source_file, 'date=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) as date) as file_day,
            rows_loaded,
            loaded_at,
            case
                when read_path like '/%' or (select max(path) from {{ root }}) is null then read_path
                else (select max(path) from {{ root }}) || '/' || read_path
            end as read_path
        from {{ log }}
        where source_table = '{{ bronze_relation.identifier }}' and status = 'loaded'
            and read_path is not null and offload_id is null and rows_loaded > 0
    )
    {%- endset -%}
    {{ return(files) }}
{%- endmacro %}

{#
  Source freshness of a Bronze relation read in place: max(loaded_at) of its files in the log, which is
  max(_loaded_at) of the view without opening a file. Anything else (every other source, a filter, another
  loaded_at_field) is dbt's own query. Overrides dbt's collect_freshness for DuckDB (a documented dispatch
  override: the root project is searched first).
#}
{% macro duckdb__collect_freshness(source, loaded_at_field, filter) -%}
    {%- set files = bronze_in_place_files(source) if loaded_at_field == '_loaded_at' and not filter else none -%}
    {%- if files is none -%}
        {{ return(dbt.default__collect_freshness(source, loaded_at_field, filter)) }}
    {%- endif -%}
    {% call statement('collect_freshness', fetch_result=True, auto_begin=False) -%}
        select max(loaded_at) as max_loaded_at, {{ current_timestamp() }} as snapshotted_at
        from {{ files }} as files
    {%- endcall %}
    {{ return(load_result('collect_freshness')) }}
{%- endmacro %}
