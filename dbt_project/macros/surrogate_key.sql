{# Stable key for a row version: md5 of the natural key columns; same text on DuckDB, PostgreSQL and Redshift. #}
{% macro surrogate_key(columns) -%}
    md5(
    {%- for col in columns -%}
        coalesce(cast({{ col }} as {{ dbt.type_string() }}), '~null~'){% if not loop.last %} || '|' || {% endif %}
    {%- endfor -%}
    )
{%- endmacro %}
