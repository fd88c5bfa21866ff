{#
  dbt enforces model contracts on tables, views and incremental models, not on materialized views, and
  Gold is a materialized view on Redshift. This copy of dbt-redshift 1.11's macro adds the same
  preflight a table gets (column names and types of the query against the yml, before anything is
  created); a materialized view takes its column types from the query, so no column list is rendered.
#}
{% macro redshift__get_create_materialized_view_as_sql(relation, sql) %}

    {%- set materialized_view = relation.from_config(config.model) -%}
    {%- if config.get('contract').enforced -%}
        {{ get_assert_columns_equivalent(sql) }}
    {%- endif %}

    create materialized view {{ materialized_view.path }}
        backup {% if materialized_view.backup %}yes{% else %}no{% endif %}
        diststyle {{ materialized_view.dist.diststyle }}
        {% if materialized_view.dist.distkey %}distkey ({{ materialized_view.dist.distkey }}){% endif %}
        {% if materialized_view.sort.sortkey %}sortkey ({{ ','.join(materialized_view.sort.sortkey) }}){% endif %}
        auto refresh {% if materialized_view.autorefresh %}yes{% else %}no{% endif %}
    as (
        {{ materialized_view.query }}
    )

{% endmacro %}
