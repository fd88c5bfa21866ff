{#
  Balances are semi-additive: add them across warehouses, SKUs and categories within one date, never
  across dates. Over a longer period, report the closing balance or the average of the period's
  month-end balances; these two macros are the only sanctioned ways to do that.
#}

{# The balance at the last month end of each period: `partition_by` columns plus `period_column`
   identify the period; rows are month-end balances with `month_column` ordering them. #}
{% macro period_end_balance(balance, month_column, partition_by) -%}
    first_value({{ balance }}) over (
        partition by {{ partition_by | join(', ') }}
        order by {{ month_column }} desc
        rows between unbounded preceding and unbounded following
    )
{%- endmacro %}

{# The mean of the month-end balances within each period (missing months count as absent, not zero). #}
{% macro average_balance(balance, partition_by) -%}
    avg({{ balance }}) over (partition by {{ partition_by | join(', ') }})
{%- endmacro %}
