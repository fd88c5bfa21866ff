{#
  Late-arriving data (docs/late_arriving.md). A balance at a month end depends on every Bronze row whose
  "affects from" day is on or before it: a movement from its event day, a cost, rate or dimension version
  from its effective day, an opening balance from its as-of day. A row loaded after the last build (or a
  row whose key it re-sends) therefore changes balances from its month onward and never before.
#}

{# Every Bronze source the snapshot reads, directly or through Silver. #}
{% macro snapshot_bronze_sources() -%}
    {{ return(['inventory_transactions', 'cdc_events', 'opening_balances', 'standard_costs', 'fx_rates',
               'products', 'warehouses']) }}
{%- endmacro %}

{# The latest Bronze load (_loaded_at) across every source: what a build reflects. `bronze` maps each
   name of snapshot_bronze_sources() to its relation, which the model names. A source read in place
   (the ledger on DuckDB) answers from its load log (bronze_load_log.sql), not a scan of every file. #}
{% macro bronze_loaded_through(bronze) -%}
    select max(loaded_at) as loaded_at
    from (
        {% for table in snapshot_bronze_sources() -%}
        {%- set files = bronze_in_place_files(bronze[table]) -%}
        {% if files is none -%}
        select max(_loaded_at) as loaded_at from {{ bronze[table] }}
        {%- else -%}
        select max(loaded_at) as loaded_at from {{ files }} as files
        {%- endif %}
        {% if not loop.last %}union all{% endif %}
        {% endfor -%}
    ) as per_source
{%- endmacro %}

{#
  The ledger's reloaded keys: the transaction ids of Bronze rows loaded after `loaded_after`, batch rows and
  streamed changes alike. A streamed change's id is read from its partition key (`inventory_transactions|<id>`,
  streaming/contract.py `partition_key`), so the load-time filter prunes the scan and no payload is parsed.
#}
{% macro ledger_reloaded_keys(loaded_after, bronze) -%}
    select transaction_id from {{ bronze['inventory_transactions'] }} where _loaded_at > {{ loaded_after }}
    union
    select cast(split_part(partition_key, '|', 2) as bigint) as transaction_id
    from {{ bronze['cdc_events'] }}
    where partition_key like 'inventory_transactions|%' and _loaded_at > {{ loaded_after }}
{%- endmacro %}

{#
  The earliest event day of any version of a reloaded ledger key: a batch row's, or a streamed change's (a
  streamed delete carries the day of the row it deletes). The streamed versions are found by partition key
  and only theirs are parsed: parsing every change event Bronze holds cost 1.1 -> 1.8 s a refresh over a
  120,000-event stream and grew with it. The reloaded keys are a subquery, read twice (each read is a
  pruned scan of the new loads).
#}
{% macro ledger_first_affected_day(loaded_after, bronze) -%}
    {%- set reloaded = ledger_reloaded_keys(loaded_after, bronze) -%}
    {%- set bounds = key_range('select min(transaction_id), max(transaction_id) from (' ~ reloaded ~ ') as keys') -%}
    {%- set event_ts = "coalesce(" ~ json_value('change.payload', ['after', 'event_ts'], 'varchar') ~ ", "
                       ~ json_value('change.payload', ['before', 'event_ts'], 'varchar') ~ ")" -%}
    select min(first_day) as first_day
    from (
        select min(cast(every_version.event_ts as date)) as first_day
        from {{ bronze['inventory_transactions'] }} as every_version
        inner join (
            {{ reloaded }}
        ) as reloaded
            on reloaded.transaction_id = every_version.transaction_id
        {%- if bounds is not none %}
        where every_version.transaction_id between {{ bounds[0] }} and {{ bounds[1] }}
        {%- endif %}
        union all
        select min(cast({{ utc_iso_to_timestamp(event_ts) }} as date)) as first_day
        from {{ bronze['cdc_events'] }} as change
        inner join (
            {{ reloaded }}
        ) as reloaded
            on change.partition_key = 'inventory_transactions|' || cast(reloaded.transaction_id as varchar)
    ) as ledger_versions
{%- endmacro %}

{#
  The earliest day any row loaded after `loaded_after` affects (null when nothing was loaded since).
  When a key is sent again (a corrected or deleted movement, a re-exported version), every earlier
  version of that key counts too: a movement corrected to another day changes both days.
  `bronze` maps Bronze table names to relations, as for bronze_loaded_through.
#}
{% macro first_affected_day(loaded_after, bronze) -%}
    {%- set inputs = [
        {'relation': bronze['opening_balances'], 'key': ['warehouse_id', 'sku_id'], 'affects_from': 'as_of_date'},
        {'relation': bronze['standard_costs'], 'key': ['sku_id', 'currency_code', 'effective_date'], 'affects_from': 'effective_date'},
        {'relation': bronze['fx_rates'], 'key': ['rate_date', 'currency_code'], 'affects_from': 'rate_date'},
        {'relation': bronze['products'], 'key': ['sku_id', 'valid_from'], 'affects_from': 'valid_from'},
        {'relation': bronze['warehouses'], 'key': ['warehouse_id', 'valid_from'], 'affects_from': 'valid_from'},
    ] -%}
    select min(first_day) as first_day
    from (
        {{ ledger_first_affected_day(loaded_after, bronze) }}
        {#- A join to the distinct reloaded keys, not EXISTS, which DuckDB decorrelates through the distinct keys
            of every version: 114 s against 9.4 s on 302M versions when the reloaded rows are spread out; alike
            in the daily run, whose new rows sit in the newest row groups (slow_query_analysis.md §5). #}
        {% for input in inputs -%}
        union all
        select min(every_version.{{ input.affects_from }}) as first_day
        from {{ input.relation }} as every_version
        inner join (
            select distinct {{ input.key | join(', ') }} from {{ input.relation }} as loaded
            where loaded._loaded_at > {{ loaded_after }}
        ) as reloaded
            on {% for column in input.key %}reloaded.{{ column }} = every_version.{{ column }}{% if not loop.last %} and {% endif %}{% endfor %}
        {% endfor -%}
    ) as per_input
{%- endmacro %}

{#
  The smallest and largest reloaded ledger key, as literals (none while parsing or rendering offline, or when
  nothing was reloaded: then no range is added). Implied by the join on the key, but a range the scan of
  every version prunes on, because keys grow with time and the ledger's Bronze files keep their statistics;
  a range from a subquery does not reach the Parquet scan through the Bronze view (the window's query:
  27-30 s -> 1.2-1.8 s for a day's 1.5M keys among 1.53B versions at `full`, slow_query_analysis.md §6).
#}
{% macro key_range(query) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set rows = run_query(query).rows -%}
    {%- if rows | length == 0 or rows[0][0] is none -%}{{ return(none) }}{%- endif -%}
    {{ return([rows[0][0] | int, rows[0][1] | int]) }}
{%- endmacro %}

{#
  Chunked passes (docs/late_arriving.md "Chunks"): a pass restates [from, ∞) as whole-month chunks, each
  one dbt invocation. A chunk ends before the first month whose rows would take it past
  var('ledger_chunk_rows') (at least one month); unset (or 0), there is no bound: one chunk, as on
  Redshift. `restated_from` is a SQL date expression, null for the whole history.
  Returns the first day after the chunk, or null when the chunk runs to the end of the ledger.
#}
{% macro ledger_chunk_until(bronze_ledger, restated_from) -%}
    {%- set budget = var('ledger_chunk_rows', none) -%}
    {%- if budget is none or budget | int <= 0 -%}
    cast(null as date)
    {%- else -%}
    (
        select min(month_start)
        from (
            select
                month_start,
                row_number() over (order by month_start) as month_number,
                sum(ledger_rows) over (order by month_start rows between unbounded preceding and current row) as rows_through
            from ({{ ledger_rows_by_month(bronze_ledger, 'coalesce(' ~ restated_from ~ ", cast('1900-01-01' as date))") }}) as per_month
        ) as running
        where month_number > 1 and rows_through > {{ budget | int }}
    )
    {%- endif -%}
{%- endmacro %}

{# Bronze ledger rows per event month (its first day) from the month of `from_day` on. A scan of one
   column; an engine with cheaper statistics can dispatch its own. #}
{% macro ledger_rows_by_month(bronze_ledger, from_day) -%}
    {{ return(adapter.dispatch('ledger_rows_by_month', 'inventory_platform')(bronze_ledger, from_day)) }}
{%- endmacro %}

{% macro default__ledger_rows_by_month(bronze_ledger, from_day) -%}
    select
        cast({{ dbt.date_trunc('month', 'event_ts') }} as date) as month_start,
        count(*) as ledger_rows
    from {{ bronze_ledger }}
    where event_ts >= cast({{ dbt.date_trunc('month', from_day) }} as timestamp)
    group by cast({{ dbt.date_trunc('month', 'event_ts') }} as date)
{%- endmacro %}

{#- DuckDB, Bronze read in place: rows_loaded of each file by its day folder, from the load log (one row a
    file, not a scan of every file each chunk); exact, as every row of a loaded file has its folder's day. -#}
{% macro duckdb__ledger_rows_by_month(bronze_ledger, from_day) -%}
    {%- set files = bronze_in_place_files(bronze_ledger) -%}
    {%- if files is none -%}{{ return(default__ledger_rows_by_month(bronze_ledger, from_day)) }}{%- endif -%}
    select
        cast({{ dbt.date_trunc('month', 'file_day') }} as date) as month_start,
        sum(rows_loaded) as ledger_rows
    from {{ files }} as files
    where file_day >= cast({{ dbt.date_trunc('month', from_day) }} as date)
    group by cast({{ dbt.date_trunc('month', 'file_day') }} as date)
{%- endmacro %}
