{# Month arithmetic shared by every model, so no model hand-writes dialect-specific date SQL. #}

{% macro month_end(date_expr) -%}
    cast({{ dbt.last_day(date_expr, 'month') }} as date)
{%- endmacro %}

{% macro month_key(date_expr) -%}
    (cast(extract(year from {{ date_expr }}) as integer) * 100 + cast(extract(month from {{ date_expr }}) as integer))
{%- endmacro %}

{# yyyymm of the same month one year earlier #}
{% macro prior_year_month_key(month_key_expr) -%}
    ({{ month_key_expr }} - 100)
{%- endmacro %}

{% macro start_of_time() -%}
    cast('1900-01-01 00:00:00' as timestamp)
{%- endmacro %}

{% macro end_of_time() -%}
    cast('{{ var("end_of_time") }}' as date)
{%- endmacro %}

