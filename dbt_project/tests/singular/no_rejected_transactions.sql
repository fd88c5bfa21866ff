{{ config(severity='warn', meta={'failure_message': true}) }}
-- Every ledger row must resolve to a known warehouse and SKU version. One that does not stays out of
-- the ledger (kept in transaction_rejects) and this check fails, naming it. Severity warn so dbt does
-- not withhold Gold, which is published from the rows that did resolve; the platform reports the
-- failure as a failed check (ERROR) (docs/valuation.md).
select
    transaction_id,
    warehouse_id,
    sku_id,
    event_date,
    reject_reason,
    'transaction ' || cast(transaction_id as varchar) || ' (' || movement_type || ' of '
    || cast(quantity as varchar) || ' on ' || cast(event_date as varchar) || ', warehouse '
    || coalesce(warehouse_id, '(none)') || ', SKU ' || coalesce(sku_id, '(none)') || ') from '
    || coalesce(source_file || ' row ' || cast(source_row as varchar), source_file, 'an unknown source')
    || ': ' || reject_reason
    || '; fix: load ' || case
        when reject_reason like '%warehouse%'
            then 'warehouse ' || coalesce(warehouse_id, '(none)') || ' into the warehouse master'
        else 'SKU ' || coalesce(sku_id, '(none)') || ' into the product master'
    end
    || ' valid from ' || cast(event_date as varchar) || ' or earlier, or correct the row' as failure_message
from {{ ref('transaction_rejects') }}
