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
