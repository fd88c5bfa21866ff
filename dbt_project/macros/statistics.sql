{#
  Planner statistics for a model just built. PostgreSQL's autovacuum analyzes new tables only after a
  delay, and the next model's query is planned from guesses until then (an incremental restatement of
  the ledger was planned as nested loops and ran for minutes instead of seconds). Redshift analyzes
  after CTAS and COPY itself; DuckDB keeps its statistics as it writes.
#}
{% macro refresh_statistics() -%}
    {{ return(adapter.dispatch('refresh_statistics', 'inventory_platform')()) }}
{%- endmacro %}

{% macro default__refresh_statistics() -%}
{%- endmacro %}

{% macro postgres__refresh_statistics() -%}
    analyze {{ this }}
{%- endmacro %}
