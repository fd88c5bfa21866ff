{# Change in percent of the base (double precision on every engine); null when there is no base to compare with. #}
{% macro yoy_pct(current, base) -%}
    case
        when {{ base }} is null or {{ base }} = 0 then null
        else cast(({{ current }}) - ({{ base }}) as double precision) / cast({{ base }} as double precision) * 100
    end
{%- endmacro %}
