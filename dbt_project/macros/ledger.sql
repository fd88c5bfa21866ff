{# The Bronze ledger's reading for a restatement (int_ledger_resolved, the conservation test). #}

{# Every Bronze version of the keys with a version on or after `restate_from`, as a subquery. #}
{% macro restated_key_versions(bronze_ledger, restate_from) -%}
    {{ return(adapter.dispatch('restated_key_versions', 'inventory_platform')(bronze_ledger, restate_from)) }}
{%- endmacro %}

{% macro default__restated_key_versions(bronze_ledger, restate_from) -%}
    (select * from {{ bronze_ledger }} where transaction_id in (
        select transaction_id from {{ bronze_ledger }} where event_ts >= cast({{ restate_from }} as timestamp)))
{%- endmacro %}

{#- DuckDB: also the range of those keys, so the scan skips row groups by their min/max (Bronze is in load
    order, ids ascending): without it the semi-join read all 302M Bronze rows at `medium`, 8 s of a daily
    run; with it 0.02 s (slow_query_analysis.md §5). Not on PostgreSQL: it guesses the range keeps 0.5% of
    the rows, then plans nested loops: one build ran more than nine minutes in the PostgreSQL test. -#}
{% macro duckdb__restated_key_versions(bronze_ledger, restate_from) -%}
    {%- set keys = '(select transaction_id from ' ~ bronze_ledger ~ ' where event_ts >= cast(' ~ restate_from ~ ' as timestamp))' -%}
    (select * from {{ bronze_ledger }} where transaction_id in {{ keys }}
        and transaction_id between (select min(transaction_id) from {{ keys }} as k)
                               and (select max(transaction_id) from {{ keys }} as k))
{%- endmacro %}
