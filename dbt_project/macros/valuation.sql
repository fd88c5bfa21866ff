{#
  Inventory valuation method, in one place (docs/valuation.md): quantity on hand times the standard
  cost in force at the valuation date, in the warehouse's local currency. Swap this macro to change
  the method everywhere.
#}
{% macro inventory_value_local(quantity, standard_cost) -%}
    ({{ quantity }} * {{ standard_cost }})
{%- endmacro %}

{# Translation of a local-currency amount into the reporting currency at a given rate (USD per unit). #}
{% macro translate_to_reporting(amount_local, usd_per_unit) -%}
    ({{ amount_local }} * {{ usd_per_unit }})
{%- endmacro %}

{# Gold amounts: rounded once per cell to the cent, half away from zero, in one exact type on every engine. #}
{% macro money_type() -%}
    numeric(38, 2)
{%- endmacro %}

{% macro to_cents(amount) -%}
    cast(round({{ amount }}, 2) as {{ money_type() }})
{%- endmacro %}
