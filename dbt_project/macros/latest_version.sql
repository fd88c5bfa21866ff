{#
  Bronze is append-only: a re-exported file lands again in a later batch. Silver keeps, per natural
  key, the row from the most recent load (ties broken by the later source row).
#}
{% macro latest_loaded(relation, key_columns) -%}
    select * from (
        select
            src.*,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by _loaded_at desc, _batch_id desc, _source_row desc
            ) as _load_rank
        from {{ relation }} as src
    ) as ranked
    where _load_rank = 1
{%- endmacro %}

{#
  The same rows as latest_loaded, for a large relation whose keys are mostly loaded once (the whole
  Bronze ledger at a first build): only keys loaded more than once are ranked, the rest pass through.
  Ranking every row sorts every column: at `medium` (302M rows) that spilled ~44 GB and filled the
  disk; counting keys is a hash aggregate of one column (at `small` 31 s and 2.4 GB against 49 s and
  12.5 GB, docs/optimization/slow_query_analysis.md §5).
#}
{% macro latest_loaded_ranking_repeats(relation, key_columns) -%}
    {%- set joined_on = [] -%}
    {%- for column in key_columns -%}
        {%- do joined_on.append('repeated.' ~ column ~ ' = src.' ~ column) -%}
    {%- endfor -%}
    {%- set repeated_keys -%}
        (select {{ key_columns | join(', ') }} from {{ relation }} as counted
         group by {{ key_columns | join(', ') }} having count(*) > 1)
    {%- endset -%}
    select src.*, 1 as _load_rank
    from {{ relation }} as src
    left join {{ repeated_keys }} as repeated on {{ joined_on | join(' and ') }}
    where repeated.{{ key_columns[0] }} is null
    union all
    {{ latest_loaded('(select src.* from ' ~ relation ~ ' as src inner join ' ~ repeated_keys ~ ' as repeated on '
                     ~ (joined_on | join(' and ')) ~ ')', key_columns) }}
{%- endmacro %}

{# Validity windows from a change log: a version ends where the next version of the same key starts. #}
{% macro version_effective_to(key_columns, starts) -%}
    coalesce(
        lead({{ starts }}) over (partition by {{ key_columns | join(', ') }} order by {{ starts }}),
        {{ end_of_time() }}
    )
{%- endmacro %}

{% macro version_is_current(key_columns, starts) -%}
    (lead({{ starts }}) over (partition by {{ key_columns | join(', ') }} order by {{ starts }}) is null)
{%- endmacro %}
