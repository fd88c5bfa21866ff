-- Redshift physical design: a few rows a day, read once an invocation: copied to every node.
{{ config(
    dist='all', materialized='incremental', incremental_strategy='append', full_refresh=false,
    on_schema_change='fail'
) }}
-- The chunks of the ledger's passes that completed (docs/late_arriving.md "Chunks"): the newest window's
-- build_id, appended once the ledger, the rejects, the snapshot and Gold monthly rebuilt its days and
-- their tests passed; dbt skips this model when any of them failed, so the chunk is not counted as
-- applied and int_ledger_restate_window restates it again.
-- depends_on: {{ ref('fct_inventory_transactions') }}, {{ ref('transaction_rejects') }}
-- depends_on: {{ ref('fct_inventory_snapshot_month_end') }}, {{ ref('gold_inventory_value_monthly') }}
select w.build_id
from {{ ref('int_ledger_restate_window') }} as w
where w.build_id = (select max(build_id) from {{ ref('int_ledger_restate_window') }})
