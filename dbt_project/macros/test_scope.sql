{#
  Tests of the billion-row ledger check the rows the latest build wrote, not the whole history: a test
  configured with `where: "__rows_of_latest_build__"` reads only rows carrying the newest `build_id`
  (one dbt invocation: a chunk of a pass, docs/late_arriving.md). A pass's chunks write disjoint rows,
  so a first build or a full refresh, in one chunk or many, tests every row once; a daily build
  restates a few days and tests those (keys outside them are untouched, so uniqueness and references
  still hold over the whole table). `--vars '{test_all_rows: true}'`
  tests everything, e.g. after an incident. Overrides dbt's get_where_subquery (documented extension).
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where and '__rows_of_latest_build__' in where -%}
        {%- set latest = 'build_id = (select max(build_id) from ' ~ relation ~ ')' -%}
        {%- set where = where | replace('__rows_of_latest_build__', 'true' if var('test_all_rows', false) else latest) -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#
  The same scope for singular tests of the ledger and the snapshot: the first day (or month end) the
  latest build rewrote, as a literal the scan can prune on. Every row from it on carries the newest
  build_id, because the incremental strategies rewrite whole suffixes and a chunk's successors have not
  run yet. 1900-01-01 (everything) with `test_all_rows`, on an empty table, and when rendering offline.
  A test comparing with Bronze stops at the chunk's end (ledger_window's `until`): later days are
  not rebuilt yet.
#}
{% macro latest_build_from(relation, date_column) -%}
    {%- set everything = "cast('1900-01-01' as date)" -%}
    {%- if var('test_all_rows', false) -%}{{ return(everything) }}{%- endif -%}
    {%- set first = restate_day('select min(' ~ date_column ~ ') from ' ~ relation ~
        ' where build_id = (select max(build_id) from ' ~ relation ~ ')') -%}
    {{ return(everything if first is none else first) }}
{%- endmacro %}
