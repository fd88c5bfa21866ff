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

{# The latest Bronze load (_loaded_at) across every source: what a build reflects. #}
{% macro bronze_loaded_through() -%}
    select max(loaded_at) as loaded_at
    from (
        {% for table in snapshot_bronze_sources() -%}
        select max(_loaded_at) as loaded_at from {{ source('bronze', table) }}
        {% if not loop.last %}union all{% endif %}
        {% endfor -%}
    ) as per_source
{%- endmacro %}

{# CTE `cdc_changes`: the streamed changes of ledger movements, one per change (ledger_versions reads it). #}
{% macro ledger_change_ctes() -%}
    {{ cdc_change_ctes('inventory_transactions', {'transaction_id': 'bigint', 'event_ts': 'timestamp'},
                       ['transaction_id']) }}
{%- endmacro %}

{#
  Every version of every movement the ledger is made of, batch rows and streamed CDC changes alike (a
  streamed delete carries the day of the row it deletes), with its load time; needs `cdc_changes`.
  A subquery, not a CTE: first_affected_day reads it twice, and DuckDB materializes a CTE read twice,
  here all 302M Bronze versions at `medium` (4.2 s warm, four times a daily run) where the inline
  form pushes the load-time filter into the scan (0.07 s; slow_query_analysis.md §5).
#}
{% macro ledger_versions() -%}
    (
        select transaction_id, cast(event_ts as date) as event_day, _loaded_at
        from {{ source('bronze', 'inventory_transactions') }}
        union all
        select transaction_id, cast(event_ts as date) as event_day, _loaded_at
        from cdc_changes
    )
{%- endmacro %}

{#
  The earliest day any row loaded after `loaded_after` affects (null when nothing was loaded since).
  When a key is sent again (a corrected or deleted movement, a re-exported version), every earlier
  version of that key counts too: a movement corrected to another day changes both days.
  Needs the `cdc_changes` CTE (ledger_change_ctes).
#}
{% macro first_affected_day(loaded_after) -%}
    {%- set inputs = [
        {'relation': ledger_versions(), 'key': ['transaction_id'], 'affects_from': 'event_day'},
        {'relation': source('bronze', 'opening_balances'), 'key': ['warehouse_id', 'sku_id'], 'affects_from': 'as_of_date'},
        {'relation': source('bronze', 'standard_costs'), 'key': ['sku_id', 'currency_code', 'effective_date'], 'affects_from': 'effective_date'},
        {'relation': source('bronze', 'fx_rates'), 'key': ['rate_date', 'currency_code'], 'affects_from': 'rate_date'},
        {'relation': source('bronze', 'products'), 'key': ['sku_id', 'valid_from'], 'affects_from': 'valid_from'},
        {'relation': source('bronze', 'warehouses'), 'key': ['warehouse_id', 'valid_from'], 'affects_from': 'valid_from'},
    ] -%}
    select min(first_day) as first_day
    from (
        {#- A join to the distinct reloaded keys, not EXISTS, which DuckDB decorrelates through the distinct keys
            of every version: 114 s against 9.4 s on 302M versions when the reloaded rows are spread out; alike
            in the daily run, whose new rows sit in the newest row groups (slow_query_analysis.md §5). #}
        {% for input in inputs -%}
        select min(every_version.{{ input.affects_from }}) as first_day
        from {{ input.relation }} as every_version
        inner join (
            select distinct {{ input.key | join(', ') }} from {{ input.relation }} as loaded
            where loaded._loaded_at > {{ loaded_after }}
        ) as reloaded
            on {% for column in input.key %}reloaded.{{ column }} = every_version.{{ column }}{% if not loop.last %} and {% endif %}{% endfor %}
        {% if not loop.last %}union all{% endif %}
        {% endfor -%}
    ) as per_input
{%- endmacro %}

{#
  Incremental strategy `restate_from`: delete every row of the target on or after the restated day
  (`unique_key` names the day column), then insert the rebuilt rows, in one transaction. Unlike
  delete+insert it also clears days that no longer have any row (a streamed delete of a day's last
  movement). The model names the macro that finds the day in its `restate_from_macro` config; the
  model asks it too, and nothing writes Bronze in between (the warehouse writer lock), so both agree.
#}
{% macro get_incremental_restate_from_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set restate_from = context[config.require('restate_from_macro')]() -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- if restate_from is not none -%}
    delete from {{ target }} where {{ arg_dict['unique_key'] }} >= {{ restate_from }};
    {% endif -%}
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}

{# The date a one-value query returns, as a SQL literal; none when the value is null (nothing to restate). #}
{% macro restate_day(query) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set rows = run_query(query).rows -%}
    {#- The aggregate always returns a row; only the offline DDL renderer's recording connection returns
        none, and there the safe answer is "restate everything". -#}
    {%- set day = rows[0][0] if rows | length > 0 else '1900-01-01' -%}
    {{ return(none if day is none else "cast('" ~ day ~ "' as date)") }}
{%- endmacro %}

{# Ledger models (fct_inventory_transactions, transaction_rejects): the first event day that Bronze rows
   loaded after the ledger's watermark affect. The watermark is the older of the two models' newest
   `bronze_loaded_through`, shared because the rejects table is usually empty and then has none of its
   own (every build would restate the whole history: 44 s of a 90 s daily run at `small`). Rejects is
   built first (fct_inventory_transactions depends on it), so it reads the fact's previous watermark;
   the older of two is never too new, and restating more than needed stays correct. #}
{% macro ledger_restate_from() -%}
    {%- set marks = [] -%}
    {%- for model in ['fct_inventory_transactions', 'transaction_rejects'] -%}
        {%- set relation = adapter.get_relation(database=this.database, schema=this.schema, identifier=model) -%}
        {%- if relation is not none -%}
            {%- do marks.append('select max(bronze_loaded_through) as mark from ' ~ relation) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set watermark = '(select min(mark) from (' ~ (marks | join(' union all ')) ~ ') as marks)' if marks else 'null' -%}
    {{ return(restate_day(
        'with ' ~ ledger_change_ctes() ~ ' ' ~
        first_affected_day('coalesce(' ~ watermark ~ ', ' ~ start_of_time() ~ ')'))) }}
{%- endmacro %}

{# Gold monthly: the first month end to rewrite. The snapshot rewrites every month from its first
   restated month on under a new watermark, so: its earliest row newer than Gold's watermark. Category
   names are current-name-everywhere (type 1): a renamed category rewrites Gold from its first month. #}
{% macro gold_restate_from() -%}
    {{ return(restate_day(
        'select min(month_end_date) from (' ~
        ' select min(month_end_date) as month_end_date from ' ~ ref('fct_inventory_snapshot_month_end') ~
        ' where bronze_loaded_through > (select coalesce(max(bronze_loaded_through), ' ~ start_of_time() ~
        ') from ' ~ this ~ ')' ~
        ' union all' ~
        ' select min(g.month_end_date) from ' ~ this ~ ' as g inner join ' ~ ref('dim_category') ~ ' as c' ~
        ' on c.category_code = g.category_code where c.category_name <> g.category_name' ~
        ') as restated')) }}
{%- endmacro %}
