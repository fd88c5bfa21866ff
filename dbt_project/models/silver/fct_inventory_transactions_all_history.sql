{# A late-binding view on Redshift: it reads a Spectrum external table. #}
{{ config(materialized='view', bind=False) }}
-- The whole ledger, hot and cold (docs/architecture/cold_tier.md): rows from the cold tier's watermark on
-- come from fct_inventory_transactions, older rows from the committed Parquet of the cold tier. Anything
-- that needs history beyond the retention window (a full rebuild of the month-end snapshot, a 4-year
-- query) reads this view. Hot rows older than the watermark (late arrivals to closed history, copies a
-- full refresh re-created) are hidden here until the next offload: never counted twice.
{%- set manifest = source('ops', 'cold_tier_offload') %}
with watermark as (
    {{ cold_tier_watermark(manifest, 'fct_inventory_transactions') }}
)

select
    hot.{{ ledger_columns() | join(',\n    hot.') }}
from {{ ref('fct_inventory_transactions') }} as hot
where hot.event_date >= (select cutoff_date from watermark)

union all

{{ cold_tier_rows(manifest, 'fct_inventory_transactions') }}
