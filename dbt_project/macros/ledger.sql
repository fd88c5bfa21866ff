{# The Bronze ledger's reading for a restatement (int_ledger_resolved, the conservation test). #}

{#
  Every Bronze version of the keys with a version in [restate_from, restate_until), as a subquery (SQL
  dates; none: unbounded on that side). A key's latest version decides its day: the reader keeps the rows
  whose latest version falls in the window, so a key with a version here but its latest in a later
  chunk is resolved by that chunk, and one whose latest lies before restate_from is not the window's.
#}
{% macro restated_key_versions(bronze_ledger, restate_from, restate_until=none) -%}
    {{ return(adapter.dispatch('restated_key_versions', 'inventory_platform')(bronze_ledger, restate_from, restate_until)) }}
{%- endmacro %}

{# The rows dated in the window: a predicate on `column`, a timestamp. #}
{% macro in_restated_days(restate_from, restate_until, column='event_ts') -%}
    {%- set bounds = [] -%}
    {%- if restate_from is not none -%}{%- do bounds.append(column ~ ' >= cast(' ~ restate_from ~ ' as timestamp)') -%}{%- endif -%}
    {%- if restate_until is not none -%}{%- do bounds.append(column ~ ' < cast(' ~ restate_until ~ ' as timestamp)') -%}{%- endif -%}
    {{ bounds | join(' and ') if bounds else 'true' }}
{%- endmacro %}

{% macro default__restated_key_versions(bronze_ledger, restate_from, restate_until) -%}
    (select * from {{ bronze_ledger }} where transaction_id in (
        select transaction_id from {{ bronze_ledger }} where {{ in_restated_days(restate_from, restate_until) }}))
{%- endmacro %}

{#- DuckDB: also the range of those keys, so the scan skips row groups by their min/max (Bronze is in load
    order, ids ascending): without it the semi-join read all 302M Bronze rows at `medium`, 8 s of a daily
    run; with it 0.02 s (slow_query_analysis.md §5). Not on PostgreSQL: it guesses the range keeps 0.5% of
    the rows, then plans nested loops: one build ran more than nine minutes in the PostgreSQL test.
    The range is fetched once, before the statement, and written in as literals: Bronze read in place is a
    view over every loaded file, and each mention of it in the statement opens them all (1,461 at `full`);
    literals also let the Parquet reader skip row groups by their statistics. Inline subqueries when there
    is nothing to ask (rendering without a warehouse, a unit test's fixture). -#}
{% macro duckdb__restated_key_versions(bronze_ledger, restate_from, restate_until) -%}
    {%- set in_window = in_restated_days(restate_from, restate_until) -%}
    {%- set keys = '(select transaction_id from ' ~ bronze_ledger ~ ' where ' ~ in_window ~ ')' -%}
    {%- set bounds = run_query('select min(transaction_id), max(transaction_id) from ' ~ bronze_ledger ~
                               ' where ' ~ in_window).rows if execute and not bronze_ledger.is_cte else [] -%}
    {%- if bounds | length > 0 and bounds[0][0] is none -%}
    (select * from {{ bronze_ledger }} where false)
    {%- elif bounds | length > 0 -%}
    (select * from {{ bronze_ledger }} where transaction_id between {{ bounds[0][0] | int }} and {{ bounds[0][1] | int }}
        and transaction_id in {{ keys }})
    {%- else -%}
    (select * from {{ bronze_ledger }} where transaction_id in {{ keys }}
        and transaction_id between (select min(transaction_id) from {{ keys }} as k)
                               and (select max(transaction_id) from {{ keys }} as k))
    {%- endif -%}
{%- endmacro %}
