{#
  The Bronze rows the lean ledger's lineage pointer (load_file_key, source_row) finds, hot and offloaded:
  reference_id and the load metadata the fact no longer repeats on every row (docs/model_contracts.md
  "The lean ledger"). Columns: _load_file_key, _source_row, reference_id, _batch_id, _source_file, _loaded_at.
#}
{% macro bronze_ledger_lineage(bronze_ledger) -%}
    {{ return(adapter.dispatch('bronze_ledger_lineage', 'inventory_platform')(bronze_ledger)) }}
{%- endmacro %}

{% macro bronze_ledger_lineage_select(relation) -%}
    select _load_file_key, _source_row, reference_id, _batch_id, _source_file, _loaded_at from {{ relation }}
{%- endmacro %}

{# PostgreSQL in CI: Bronze is one table, nothing offloaded. #}
{% macro default__bronze_ledger_lineage(bronze_ledger) -%}
    {{ bronze_ledger_lineage_select(bronze_ledger) }}
{%- endmacro %}

{# DuckDB: the files of offloaded months leave the view for its `_offloaded` twin (bronze/in_place.py); the
   cold-tier job rebuilds the views that read it after each offload. #}
{% macro duckdb__bronze_ledger_lineage(bronze_ledger) -%}
    {%- set offloaded = api.Relation.create(database=bronze_ledger.database, schema=bronze_ledger.schema,
                                            identifier=bronze_ledger.identifier ~ '_offloaded') -%}
    {{ bronze_ledger_lineage_select(bronze_ledger) }}
    {%- if execute and load_relation(offloaded) is not none %}
    union all
    {{ bronze_ledger_lineage_select(offloaded) }}
    {%- endif %}
{%- endmacro %}

{# Redshift: offloaded Bronze rows are in the Spectrum table the cold-tier UNLOAD writes
   (inventory_platform/cold_tier/redshift_cold_tier.sql). #}
{% macro redshift__bronze_ledger_lineage(bronze_ledger) -%}
    {{ bronze_ledger_lineage_select(bronze_ledger) }}
    union all
    {{ bronze_ledger_lineage_select(api.Relation.create(schema=var('cold_external_schema', 'cold'),
                                                        identifier='bronze_inventory_transactions')) }}
{%- endmacro %}

{#
  Net movements per warehouse x SKU x month from the lean ledger (`ledger`: the fact or its all-history
  view, filtered by `where`): summed per version key first (integers), then mapped to the warehouse's and
  SKU's entity keys (the same in every version) through the dimensions, whose build side is a few hundred
  thousand rows.
#}
{% macro ledger_pair_month_movements(ledger, dim_warehouse, dim_product, where='true') -%}
    select
        w.warehouse_entity_key,
        p.sku_entity_key,
        v.month_end_date,
        cast(sum(v.net_quantity) as bigint) as net_quantity,
        cast(sum(v.movement_count) as bigint) as movement_count
    from (
        select
            warehouse_key,
            product_key,
            month_end_date,
            sum(quantity) as net_quantity,
            count(*) as movement_count
        from {{ ledger }}
        where {{ where }}
        group by warehouse_key, product_key, month_end_date
    ) as v
    inner join {{ dim_warehouse }} as w on w.warehouse_key = v.warehouse_key
    inner join {{ dim_product }} as p on p.product_key = v.product_key
    group by w.warehouse_entity_key, p.sku_entity_key, v.month_end_date
{%- endmacro %}
