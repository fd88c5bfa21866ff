-- Redshift physical design: one row, read by three models in every run: copied to every node.
{{ config(dist='all') }}
-- The ledger's restatement window for this run, decided once (docs/late_arriving.md): the earliest event
-- day that Bronze rows loaded after the ledger's watermark affect (and every earlier version of their
-- keys), or the whole history on a first build, when a ledger table is missing, or under --full-refresh.
-- int_ledger_resolved resolves exactly these days; fct_inventory_transactions and transaction_rejects
-- delete them and insert its rows, stamped with this row's bronze_loaded_through.
--
-- The watermark is the older of the two ledger tables' newest bronze_loaded_through: what both have
-- applied. It is read through adapter.get_relation, not ref (they are built from this model): a run
-- that fails after this model restates the same days, or more, the next time. The rejects table is
-- usually empty and has no watermark of its own; the ledger's then decides.
{% set bronze = {} -%}
{%- for table in snapshot_bronze_sources() -%}{%- do bronze.update({table: source('bronze', table)}) -%}{%- endfor -%}
{%- set marks = [] -%}
{%- for model in ['fct_inventory_transactions', 'transaction_rejects'] -%}
{%- set relation = adapter.get_relation(database=this.database, schema=this.schema, identifier=model) -%}
{%- if relation is not none -%}{%- do marks.append('select max(bronze_loaded_through) as mark from ' ~ relation) -%}{%- endif -%}
{%- endfor -%}
{%- set full_history = should_full_refresh() or marks | length < 2 %}
with loads as (
    {{ bronze_loaded_through(bronze) }}
){% if not full_history %},

{{ ledger_change_ctes(bronze['cdc_events']) }},

affected as (
    {{ first_affected_day('coalesce((select min(mark) from (' ~ (marks | join(' union all ')) ~ ') as marks), '
                          ~ start_of_time() ~ ')', bronze) }}
){% endif %}

select
    {% if full_history -%}
    cast(null as date) as restated_from,
    {%- else -%}
    cast((select first_day from affected) as date) as restated_from,
    {%- endif %}
    cast({{ 'true' if full_history else 'false' }} as boolean) as is_full_history,
    loads.loaded_at as bronze_loaded_through
from loads
