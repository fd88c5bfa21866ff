{#
  The `restate_from` incremental strategy and the macros that decide, at run time, the day it restates
  from. A materialization reads the warehouse (run_query, adapter.get_relation), so it may name the
  relations it reads; every other macro takes relations as arguments (tests/unit/test_dbt_macro_lineage.py).
#}

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
    {%- set bronze = {} -%}
    {%- for table in snapshot_bronze_sources() -%}{%- do bronze.update({table: source('bronze', table)}) -%}{%- endfor -%}
    {{ return(restate_day(
        'with ' ~ ledger_change_ctes(bronze['cdc_events']) ~ ' ' ~
        first_affected_day('coalesce(' ~ watermark ~ ', ' ~ start_of_time() ~ ')', bronze))) }}
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
