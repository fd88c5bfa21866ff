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

{#
  The latest Bronze version (latest_loaded's order) of every key with a version in [restate_from,
  restate_until) (SQL dates; none: unbounded on that side), as latest_loaded's select: what
  int_ledger_resolved and the conservation test read. A key's latest version may lie outside the window;
  readers keep the rows whose latest version falls in theirs.
#}
{% macro latest_restated_versions(bronze_ledger, restate_from=none, restate_until=none) -%}
    {{ return(adapter.dispatch('latest_restated_versions', 'inventory_platform')(bronze_ledger, restate_from, restate_until)) }}
{%- endmacro %}

{% macro default__latest_restated_versions(bronze_ledger, restate_from, restate_until) -%}
    {%- if restate_from is none and restate_until is none -%}
    {{ latest_loaded_ranking_repeats(bronze_ledger, ['transaction_id']) }}
    {%- elif restate_until is none -%}
    {{ latest_loaded(restated_key_versions(bronze_ledger, restate_from), ['transaction_id']) }}
    {%- else -%}
    {#- a chunk is large (a month or more): rank only its repeated keys, as for the whole history -#}
    {{ latest_loaded_ranking_repeats(restated_key_versions(bronze_ledger, restate_from, restate_until), ['transaction_id']) }}
    {%- endif -%}
{%- endmacro %}

{#- DuckDB, Bronze read in place: dedup only the files that can share a key. The loader rejects a file in
    which a key repeats (validation.py), so a key can have two versions only in two files whose
    transaction_id ranges overlap, and a row of a file whose range overlaps no other file's is the only
    version of its key: it passes through when its day is in the window, without the count of every key
    and the semi-join of the window's keys (a 37M-row `medium` chunk's resolved ledger: 34 s -> 5 s). Only
    the rows of overlapping files (a re-sent or corrected file and the file it corrects) are ranked, among
    themselves: every version of a key they hold is in one of them. The ranges come from the Parquet
    footers of the files the view reads (the load log names them; bronze_in_place_files), read before the
    statement in a fraction of a second. A file whose footer has no statistics for transaction_id, or whose
    path DuckDB would read as a pattern, could share a key with any file: then the portable reading. -#}
{% macro duckdb__latest_restated_versions(bronze_ledger, restate_from, restate_until) -%}
    {%- set files = bronze_in_place_files(bronze_ledger) -%}
    {%- if files is none -%}
        {{ return(default__latest_restated_versions(bronze_ledger, restate_from, restate_until)) }}
    {%- endif -%}
    {%- set shared = bronze_files_sharing_keys(files) -%}
    {%- if shared['file_keys'] and shared['low'] is none -%}
        {{ return(default__latest_restated_versions(bronze_ledger, restate_from, restate_until)) }}
    {%- endif -%}
    {%- set in_window = in_restated_days(restate_from, restate_until, 'src.event_ts') -%}
    select src.*, 1 as _load_rank
    from {{ bronze_ledger }} as src
    where {{ in_window }}
    {%- if shared['file_keys'] %}
        and src._load_file_key not in ({{ shared['file_keys'] | join(', ') }})
    union all
    {%- set shared_files = 'src._load_file_key in (' ~ (shared['file_keys'] | join(', ')) ~ ') and src.transaction_id between '
                           ~ shared['low'] ~ ' and ' ~ shared['high'] %}
    {{ latest_loaded('(select * from ' ~ bronze_ledger ~ ' as src where ' ~ shared_files ~ ' and src.transaction_id in '
                     ~ '(select src.transaction_id from ' ~ bronze_ledger ~ ' as src where ' ~ shared_files
                     ~ ' and ' ~ in_window ~ '))', ['transaction_id']) }}
    {%- endif %}
{%- endmacro %}

{#- The load_file_keys of the files (bronze_in_place_files) whose transaction_id range overlaps another's or
    is unknown, and the lowest and highest id they hold (none when a range is unknown). -#}
{% macro bronze_files_sharing_keys(files) -%}
    {%- set listed = run_query('select load_file_key, read_path from ' ~ files ~ ' as f').rows -%}
    {%- set readable = [] -%}
    {%- for file in listed if file[1] is not none and not modules.re.search('[*?\\[\\]{}]', file[1]) -%}
        {%- do readable.append("'" ~ file[1] | replace("'", "''") ~ "'") -%}
    {%- endfor -%}
    {%- if not listed -%}{{ return({'file_keys': [], 'low': none, 'high': none}) }}{%- endif -%}
    {%- set ranges -%}
        with footers as (
            {% if readable -%}
            select
                file_name,
                min(try_cast(stats_min_value as bigint)) as low,
                max(try_cast(stats_max_value as bigint)) as high,
                bool_and(try_cast(stats_min_value as bigint) is not null
                         and try_cast(stats_max_value as bigint) is not null) as complete
            from parquet_metadata([{{ readable | join(', ') }}])
            where path_in_schema = 'transaction_id'
            group by file_name
            {%- else -%}
            select cast(null as varchar) as file_name, cast(null as bigint) as low, cast(null as bigint) as high,
                   false as complete
            where false
            {%- endif %}
        ),
        ranged as (
            select f.load_file_key, case when s.complete then s.low end as low, case when s.complete then s.high end as high
            from {{ files }} as f
            left join footers as s on s.file_name = f.read_path
        )
        select r.load_file_key, r.low, r.high
        from ranged as r
        where r.low is null or exists (
            select 1 from ranged as o
            where o.load_file_key <> r.load_file_key and (o.low is null or (o.low <= r.high and r.low <= o.high)))
        order by r.load_file_key
    {%- endset -%}
    {%- set rows = run_query(ranges).rows -%}
    {%- set keys = [] -%}{%- set lows = [] -%}{%- set highs = [] -%}
    {%- for row in rows -%}
        {%- do keys.append(row[0] | int) -%}
        {%- if row[1] is not none -%}{%- do lows.append(row[1] | int) -%}{%- do highs.append(row[2] | int) -%}{%- endif -%}
    {%- endfor -%}
    {%- set known = rows | length > 0 and lows | length == rows | length -%}
    {{ return({'file_keys': keys, 'low': (lows | min) if known else none, 'high': (highs | max) if known else none}) }}
{%- endmacro %}

{#
  How int_ledger_resolved is kept. DuckDB: a view, resolved inline by the two ledger models that read it in
  the same invocation. Writing a chunk's ~35M resolved rows to the file and reading them back cost more than
  resolving twice (`medium`, one 35.2M-row chunk side by side: table 31.4 s / 45.8 s for the write, the
  fact's read and the rejects' read; view 18.1 s / 17.2 s; docs/optimization/slow_query_analysis.md,
  session 14), and the file no longer holds the last chunk (1 GB at `full`). Redshift and PostgreSQL: a
  table, so the external Bronze (Spectrum) is scanned once a run.
#}
{% macro resolution_materialization() -%}
    {{ return(adapter.dispatch('resolution_materialization', 'inventory_platform')()) }}
{%- endmacro %}

{% macro default__resolution_materialization() -%}
    {{ return('table') }}
{%- endmacro %}

{% macro duckdb__resolution_materialization() -%}
    {{ return('view') }}
{%- endmacro %}
