{# Change in percent of the base; null when there is no base to compare with. #}
{% macro yoy_pct(current, base) -%}
    case
        when {{ base }} is null or {{ base }} = 0 then null
        else cast(({{ current }}) - ({{ base }}) as {{ dbt.type_float() }}) / cast({{ base }} as {{ dbt.type_float() }}) * 100
    end
{%- endmacro %}
