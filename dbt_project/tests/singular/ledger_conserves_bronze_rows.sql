{{ config(meta={'dagster': {'ref': {'name': 'fct_inventory_transactions'}}, 'failure_message': true}) }}
-- Bronze -> Silver row conservation, per event day the latest build rewrote (macros/test_scope.sql):
-- every transaction id whose latest Bronze version (or, when streamed, its latest change) falls on the day
-- is in fct_inventory_transactions or transaction_rejects, once; Bronze's other versions are duplicates
-- collapsed, and a streamed delete removes its id. One row per day that does not add up, with its figures:
-- Bronze rows dated that day, the ids they resolve to, streamed replacements and deletes, ledger and
-- rejected rows, and how many rows are missing (negative: extra).
-- In a chunked pass it checks up to the chunk's end: later days are not rebuilt yet.
{%- set checked_from = latest_build_from(ref('fct_inventory_transactions'), 'event_date') %}
{%- set until = ledger_window(ref('int_ledger_restate_window')).get('until') %}
{%- set bronze = source('bronze', 'inventory_transactions') %}
{%- set everything = '1900-01-01' in checked_from %}
with latest_batch as (
    {{ latest_restated_versions(bronze, none if everything and until is none else checked_from, until) }}
),

streamed as (
    select
        transaction_id,
        event_ts,
        is_deleted
    from {{ ref('cdc_inventory_transactions') }}
),

final_ids as (
    select
        coalesce(s.transaction_id, b.transaction_id) as transaction_id,
        cast(coalesce(s.event_ts, b.event_ts) as date) as event_date,
        b.transaction_id is not null as from_batch,
        s.transaction_id is not null and b.transaction_id is not null as replaced_by_stream,
        coalesce(s.is_deleted, false) as deleted_by_stream
    from latest_batch as b
    full outer join streamed as s on s.transaction_id = b.transaction_id
),

expected as (
    select
        event_date,
        sum(case when from_batch then 1 else 0 end) as bronze_ids,
        sum(case when replaced_by_stream then 1 else 0 end) as replaced_by_stream,
        sum(case when deleted_by_stream then 1 else 0 end) as deleted_by_stream,
        sum(case when deleted_by_stream then 0 else 1 end) as expected_rows
    from final_ids
    where {{ in_restated_days(checked_from, until, 'event_date') }}
    group by event_date
),

bronze_rows as (
    select
        cast(event_ts as date) as event_date,
        count(*) as bronze_rows
    from {{ bronze }}
    where {{ in_restated_days(checked_from, until) }}
    group by cast(event_ts as date)
),

silver as (
    select
        event_date,
        transaction_id,
        1 as in_ledger
    from {{ ref('fct_inventory_transactions') }}
    where {{ in_restated_days(checked_from, until, 'event_date') }}
    union all
    select
        event_date,
        transaction_id,
        0 as in_ledger
    from {{ ref('transaction_rejects') }}
    where {{ in_restated_days(checked_from, until, 'event_date') }}
),

silver_days as (
    select
        event_date,
        sum(in_ledger) as ledger_rows,
        sum(1 - in_ledger) as rejected_rows,
        count(distinct transaction_id) as distinct_ids
    from silver
    group by event_date
),

days as (
    select
        coalesce(e.event_date, s.event_date) as event_date,
        coalesce(r.bronze_rows, 0) as bronze_rows,
        coalesce(e.bronze_ids, 0) as bronze_ids,
        coalesce(e.replaced_by_stream, 0) as replaced_by_stream,
        coalesce(e.deleted_by_stream, 0) as deleted_by_stream,
        coalesce(e.expected_rows, 0) as expected_rows,
        coalesce(s.ledger_rows, 0) as ledger_rows,
        coalesce(s.rejected_rows, 0) as rejected_rows,
        coalesce(s.distinct_ids, 0) as distinct_ids
    from expected as e
    full outer join silver_days as s on s.event_date = e.event_date
    left join bronze_rows as r on r.event_date = coalesce(e.event_date, s.event_date)
)

select
    *,
    expected_rows - ledger_rows - rejected_rows as missing_rows,
    'event day ' || cast(event_date as varchar) || ': ' || cast(bronze_rows as varchar) || ' Bronze rows resolve to '
    || cast(bronze_ids as varchar) || ' ids (' || cast(replaced_by_stream as varchar) || ' replaced and '
    || cast(deleted_by_stream as varchar) || ' deleted by the stream), so ' || cast(expected_rows as varchar)
    || ' rows expected; Silver holds ' || cast(ledger_rows as varchar) || ' ledger + '
    || cast(rejected_rows as varchar) || ' rejected rows (' || cast(distinct_ids as varchar)
    || ' distinct ids): ' || cast(expected_rows - ledger_rows - rejected_rows as varchar)
    || ' missing; rebuild the ledger from that day (build_silver_gold) and open an incident' as failure_message
from days
where
    expected_rows <> ledger_rows + rejected_rows
    or distinct_ids <> ledger_rows + rejected_rows
