{#
  The order a model's rows are written in, where the engine keeps it: DuckDB stores rows in insertion order,
  and its lightweight compression (bit-packing, RLE) works per segment, so a ledger written by event day and
  transaction id stores its dates, ids and lineage pointers almost for free (docs/model_contracts.md
  "The lean ledger"). Redshift orders by the table's sort key and PostgreSQL keeps no order: no clause there.
#}
{% macro write_order(columns) -%}
    {{ return(adapter.dispatch('write_order', 'inventory_platform')(columns)) }}
{%- endmacro %}

{% macro default__write_order(columns) -%}
{%- endmacro %}

{% macro duckdb__write_order(columns) -%}
    order by {{ columns | join(', ') }}
{%- endmacro %}
