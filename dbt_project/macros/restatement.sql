{#
  Late-arriving data (docs/late_arriving.md). A balance at a month end depends on every Bronze row whose
  "affects from" day is on or before it: a movement from its event day, a cost, rate or dimension version
  from its effective day, an opening balance from its as-of day. A row loaded after the last build (or a
  row whose key it re-sends) therefore changes balances from its month onward and never before.
#}
{% macro snapshot_inputs() -%}
    {{ return([
        {'table': 'inventory_transactions', 'key': ['transaction_id'], 'affects_from': 'cast(event_ts as date)'},
        {'table': 'opening_balances', 'key': ['warehouse_id', 'sku_id'], 'affects_from': 'as_of_date'},
        {'table': 'standard_costs', 'key': ['sku_id', 'currency_code', 'effective_date'], 'affects_from': 'effective_date'},
        {'table': 'fx_rates', 'key': ['rate_date', 'currency_code'], 'affects_from': 'rate_date'},
        {'table': 'products', 'key': ['sku_id', 'valid_from'], 'affects_from': 'valid_from'},
        {'table': 'warehouses', 'key': ['warehouse_id', 'valid_from'], 'affects_from': 'valid_from'},
    ]) }}
{%- endmacro %}

{# The latest Bronze load (_loaded_at) across every input: what a build reflects. #}
{% macro bronze_loaded_through() -%}
    select max(loaded_at) as loaded_at
    from (
        {% for input in snapshot_inputs() -%}
        select max(_loaded_at) as loaded_at from {{ source('bronze', input.table) }}
        {% if not loop.last %}union all{% endif %}
        {% endfor -%}
    ) as per_input
{%- endmacro %}

{#
  The earliest day any row loaded after `loaded_after` affects. When a key is sent again (a corrected
  movement, a re-exported version), every earlier version of that key counts too: a corrected movement
  that moves to another day changes both days. Null when nothing was loaded since.
#}
{% macro first_affected_day(loaded_after) -%}
    select min(first_day) as first_day
    from (
        {% for input in snapshot_inputs() -%}
        select min({{ input.affects_from }}) as first_day
        from {{ source('bronze', input.table) }} as every_version
        where exists (
            select 1 from {{ source('bronze', input.table) }} as reloaded
            where reloaded._loaded_at > {{ loaded_after }}
            {% for column in input.key %}and reloaded.{{ column }} = every_version.{{ column }} {% endfor %}
        )
        {% if not loop.last %}union all{% endif %}
        {% endfor -%}
    ) as per_input
{%- endmacro %}
