{#
  The `restate_from` incremental strategy and the macros that decide, at run time, the day it restates
  from. A materialization reads the warehouse (run_query, adapter.get_relation), so it may name the
  relations it reads; every other macro takes relations as arguments (tests/unit/test_dbt_macro_lineage.py).
#}

{#
  Incremental strategy `restate_from`: delete every row of the target on or after the restated day
  (`unique_key` names the day column), then insert the rebuilt rows, in one transaction. Unlike
  delete+insert it also clears days that no longer have any row (a streamed delete of a day's last
  movement). The model names the macro that finds the day in its `restate_from_macro` config: it returns
  the day as a SQL date, none (nothing to delete) or 'everything' (delete every row: the ledger's window
  is the whole history while this table already exists). The model's rows come from the same decision.
#}
{% macro get_incremental_restate_from_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set restate_from = context[config.require('restate_from_macro')]() -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- if restate_from == 'everything' -%}
    delete from {{ target }};
    {% elif restate_from is not none -%}
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

{#
  The ledger's restatement window (the newest row of int_ledger_restate_window, the relation `window`) as
  this run reads it: `everything` (rebuild from the first day of the history), or `from`, the first
  restated day as a SQL date (neither when nothing is new), and `until`, the first day after the chunk
  (none: to the end). int_ledger_resolved resolves these days and the ledger models replace them.
#}
{% macro ledger_window(window) -%}
    {%- if not execute -%}{{ return({'everything': true, 'from': none, 'until': none}) }}{%- endif -%}
    {%- set built = adapter.get_relation(database=window.database, schema=window.schema, identifier=window.identifier) -%}
    {%- set rows = run_query('select is_full_history, restated_from, restated_until from ' ~ window ~
                             ' where build_id = (select max(build_id) from ' ~ window ~ ')').rows
                   if built is not none else [] -%}
    {%- if rows | length == 0 -%}
        {#- The window always has a row once built, but `dbt compile` before it is built has none, the
            offline DDL renderer's recording connection answers none, and so does `dbt run --empty` (it reads
            every ref as empty). Then render a first build while the ledger table is new, and a restatement
            from 1900-01-01 once it exists. -#}
        {%- set ledger = adapter.get_relation(database=this.database, schema=this.schema,
                                              identifier='fct_inventory_transactions') -%}
        {{ return({'everything': ledger is none, 'from': none if ledger is none else "cast('1900-01-01' as date)",
                   'until': none, 'unread': true}) }}
    {%- endif -%}
    {%- set day = "cast('{}' as date)" -%}
    {{ return({'everything': rows[0][0] and rows[0][1] is none,
               'from': none if rows[0][1] is none else day.format(rows[0][1]),
               'until': none if rows[0][2] is none else day.format(rows[0][2])}) }}
{%- endmacro %}

{# Ledger models (fct_inventory_transactions, transaction_rejects): what the window restates. #}
{% macro ledger_restate_from() -%}
    {%- set window = ledger_window(ref('int_ledger_restate_window')) -%}
    {{ return('everything' if window.everything else window['from']) }}
{%- endmacro %}

{# The month-end snapshot: the month of the ledger's window on (whole months). #}
{% macro snapshot_restate_from() -%}
    {%- set window = ledger_window(ref('int_ledger_restate_window')) -%}
    {{ return('everything' if window.everything else none if window['from'] is none else month_end(window['from'])) }}
{%- endmacro %}

{#
  Ledger models: a first build or --full-refresh of one of them writes every row int_ledger_resolved
  holds, so it must hold the history from its first day: a whole-history window (in a chunked pass, its
  first chunk; the next chunks append to the table). After a daily window it holds a few days, and
  rebuilding from it would lose the rest. Build the window with it instead (`dbt build --full-refresh
  --select +fct_inventory_transactions +transaction_rejects`, or Dagster's build_silver_gold with
  full_refresh).
#}
{% macro assert_ledger_rebuild_reads_the_whole_history(window) -%}
    {%- set read = ledger_window(window) if execute and not is_incremental() else {'everything': true} -%}
    {%- if not read.everything and not read.unread -%}
        {{ exceptions.raise_compiler_error(
            this.identifier ~ ' would be rebuilt from int_ledger_resolved, which holds only the days of its last '
            ~ 'window, not the whole history: select the ledger window with it (+' ~ this.identifier ~ ')') }}
    {%- endif -%}
{%- endmacro %}

{# Gold monthly: the first month end to rewrite. The snapshot rewrites every month of a chunk under the
   chunk's build_id, so: its earliest row of a build newer than Gold's newest (one chunk of a pass at a
   time). Category names are current-name-everywhere (type 1): a renamed category rewrites Gold from its
   first month. #}
{% macro gold_restate_from() -%}
    {{ return(restate_day(
        'select min(month_end_date) from (' ~
        ' select min(month_end_date) as month_end_date from ' ~ ref('fct_inventory_snapshot_month_end') ~
        ' where build_id > (select coalesce(max(build_id), 0) from ' ~ this ~ ')' ~
        ' union all' ~
        ' select min(g.month_end_date) from ' ~ this ~ ' as g inner join ' ~ ref('dim_category') ~ ' as c' ~
        ' on c.category_code = g.category_code where c.category_name <> g.category_name' ~
        ') as restated')) }}
{%- endmacro %}
