-- Redshift DDL rendered offline by `make redshift-ddl` (inventory_platform/redshift/offline_ddl.py):
-- what `dbt build --target prod` executes on an empty cluster, in order. Reviewed snapshot: a test
-- fails when the models render differently; regenerate and review the diff.

create schema if not exists "gold";

create schema if not exists "silver";

create  table
    "inventory"."silver"."cdc_inventory_transactions"
    
  (
    transaction_id bigint,
    event_ts timestamp,
    warehouse_id varchar,
    sku_id varchar,
    movement_type varchar,
    quantity bigint,
    reference_id varchar,
    event_id varchar,
    is_deleted boolean,
    last_op varchar,
    source_lsn bigint,
    source_committed_at timestamp,
    stream_name varchar,
    shard_id varchar,
    sequence_number varchar,
    arrived_at timestamp,
    loaded_at timestamp,
    load_batch_id varchar
    
    )

    
    
    diststyle key distkey (sku_id)
    
      compound sortkey(source_lsn);

insert into "inventory"."silver"."cdc_inventory_transactions"
    (
      
    select transaction_id, event_ts, warehouse_id, sku_id, movement_type, quantity, reference_id, event_id, is_deleted, last_op, source_lsn, source_committed_at, stream_name, shard_id, sequence_number, arrived_at, loaded_at, load_batch_id
    from (
        -- Redshift physical design: streamed movements (a small fraction of the ledger) distributed like the ledger on
-- sku_id and sorted by the source log position, the order changes arrive in.

-- The streamed inventory transactions as the source holds them now: per transaction_id the change
-- with the highest lsn (last writer wins), redeliveries collapsed; deletes are kept as tombstones
-- (is_deleted) because they also remove a batch-loaded row with the same id from the ledger.
-- Incremental (cdc_merge_state): a run merges the events Bronze loaded since the last one.
with cdc_events as (
        select
            cast(payload."event_id" as varchar) as event_id,
            cast(payload."op" as varchar) as op,
            cast(payload."source"."lsn" as bigint) as source_lsn,
            cast(payload."source"."ts_ms" as bigint) as source_ts_ms,
            coalesce(cast(payload."after"."transaction_id" as bigint), cast(payload."before"."transaction_id" as bigint)) as transaction_id,
            cast(replace(replace(coalesce(cast(payload."after"."event_ts" as varchar), cast(payload."before"."event_ts" as varchar)), 'T', ' '), 'Z', '') as timestamp) as event_ts,
            coalesce(cast(payload."after"."warehouse_id" as varchar), cast(payload."before"."warehouse_id" as varchar)) as warehouse_id,
            coalesce(cast(payload."after"."sku_id" as varchar), cast(payload."before"."sku_id" as varchar)) as sku_id,
            coalesce(cast(payload."after"."movement_type" as varchar), cast(payload."before"."movement_type" as varchar)) as movement_type,
            coalesce(cast(payload."after"."quantity" as bigint), cast(payload."before"."quantity" as bigint)) as quantity,
            coalesce(cast(payload."after"."reference_id" as varchar), cast(payload."before"."reference_id" as varchar)) as reference_id,
            stream_name,
            shard_id,
            sequence_number,
            approximate_arrival_timestamp,
            _loaded_at,
            _batch_id
        from "inventory"."bronze"."cdc_events"
        where cast(payload."source"."table" as varchar) = 'inventory_transactions'
    ),

    cdc_deliveries as (
        select
            cdc_events.*,
            row_number() over (
                partition by transaction_id, source_lsn
                order by approximate_arrival_timestamp, shard_id, sequence_number
            ) as delivery_rank
        from cdc_events
    ),

    cdc_changes as (
        select * from cdc_deliveries where delivery_rank = 1
    ),

latest as (
    select * from (
        select
            changes.*,
            row_number() over (partition by transaction_id order by source_lsn desc) as lsn_rank
        from cdc_changes as changes
    ) as ranked
    where lsn_rank = 1
),

changed as (
    select
        transaction_id,
        event_ts,
        warehouse_id,
        sku_id,
        movement_type,
        quantity,
        reference_id,
        event_id,
        op = 'd' as is_deleted,
        op as last_op,
        source_lsn,
        (cast('1970-01-01' as timestamp) + (source_ts_ms / 1000.0) * interval '1 second') as source_committed_at,
        stream_name,
        shard_id,
        sequence_number,
        approximate_arrival_timestamp as arrived_at,
        _loaded_at as loaded_at,
        _batch_id as load_batch_id
    from latest
)


    select transaction_id, event_ts, warehouse_id, sku_id, movement_type, quantity, reference_id, event_id, is_deleted, last_op, source_lsn, source_committed_at, stream_name, shard_id, sequence_number, arrived_at, loaded_at, load_batch_id from changed
    ) as model_subq
    );

create  table
    "inventory"."silver"."fx_rates_daily__dbt_tmp"
    
  (
    currency_code varchar,
    rate_date date,
    usd_per_unit numeric(18,8),
    month_end_date date
    
    )

    
    
    diststyle all
    
      compound sortkey(currency_code,rate_date);

insert into "inventory"."silver"."fx_rates_daily__dbt_tmp"
    (
      
    select currency_code, rate_date, usd_per_unit, month_end_date
    from (
        -- Redshift physical design: A few thousand rows a year: replicate to every node.

-- Daily closing rates on business days, USD per unit of each currency.
with rates as (
    select * from (
        select
            src.*,
            row_number() over (
                partition by rate_date, currency_code
                order by _loaded_at desc, _batch_id desc, _source_row desc
            ) as _load_rank
        from "inventory"."bronze"."fx_rates" as src
    ) as ranked
    where _load_rank = 1
)

select
    currency_code,
    rate_date,
    usd_per_unit,
    cast(
    cast(
        

    dateadd(
        day,
        -1,
        

    dateadd(
        month,
        1,
        date_trunc('month', rate_date)
        )


        )


        as date)
 as date) as month_end_date
from rates
    ) as model_subq
    );

alter table "inventory"."silver"."fx_rates_daily__dbt_tmp" rename to "fx_rates_daily";

drop table if exists "inventory"."silver"."fx_rates_daily__dbt_backup" cascade;

create  table
    "inventory"."silver"."int_cdc_stock_levels_state"
    
  (
    warehouse_id varchar,
    sku_id varchar,
    quantity_on_hand bigint,
    unit_of_measure varchar,
    currency_code varchar,
    updated_at timestamp,
    event_id varchar,
    last_op varchar,
    source_lsn bigint,
    source_committed_at timestamp,
    stream_name varchar,
    shard_id varchar,
    sequence_number varchar,
    arrived_at timestamp,
    loaded_at timestamp
    
    )

    
    
    diststyle key distkey (sku_id)
    
      compound sortkey(warehouse_id,sku_id);

insert into "inventory"."silver"."int_cdc_stock_levels_state"
    (
      
    select warehouse_id, sku_id, quantity_on_hand, unit_of_measure, currency_code, updated_at, event_id, last_op, source_lsn, source_committed_at, stream_name, shard_id, sequence_number, arrived_at, loaded_at
    from (
        -- Redshift physical design: one row per warehouse x SKU, read whole by stock_levels_current and cdc_rejects,
-- so distributed on sku_id like them.

-- Stock levels as the source holds them now, deletes included: per warehouse x SKU the change with the
-- highest lsn, redeliveries collapsed. Incremental (cdc_merge_state): a run merges the events Bronze loaded
-- since the last one. stock_levels_current applies it against the conformed dimensions; cdc_rejects lists
-- what they do not know.
with cdc_events as (
        select
            cast(payload."event_id" as varchar) as event_id,
            cast(payload."op" as varchar) as op,
            cast(payload."source"."lsn" as bigint) as source_lsn,
            cast(payload."source"."ts_ms" as bigint) as source_ts_ms,
            coalesce(cast(payload."after"."warehouse_id" as varchar), cast(payload."before"."warehouse_id" as varchar)) as warehouse_id,
            coalesce(cast(payload."after"."sku_id" as varchar), cast(payload."before"."sku_id" as varchar)) as sku_id,
            coalesce(cast(payload."after"."quantity_on_hand" as bigint), cast(payload."before"."quantity_on_hand" as bigint)) as quantity_on_hand,
            coalesce(cast(payload."after"."unit_of_measure" as varchar), cast(payload."before"."unit_of_measure" as varchar)) as unit_of_measure,
            coalesce(cast(payload."after"."currency_code" as varchar), cast(payload."before"."currency_code" as varchar)) as currency_code,
            cast(replace(replace(coalesce(cast(payload."after"."updated_at" as varchar), cast(payload."before"."updated_at" as varchar)), 'T', ' '), 'Z', '') as timestamp) as updated_at,
            stream_name,
            shard_id,
            sequence_number,
            approximate_arrival_timestamp,
            _loaded_at,
            _batch_id
        from "inventory"."bronze"."cdc_events"
        where cast(payload."source"."table" as varchar) = 'stock_levels'
    ),

    cdc_deliveries as (
        select
            cdc_events.*,
            row_number() over (
                partition by warehouse_id, sku_id, source_lsn
                order by approximate_arrival_timestamp, shard_id, sequence_number
            ) as delivery_rank
        from cdc_events
    ),

    cdc_changes as (
        select * from cdc_deliveries where delivery_rank = 1
    ),

latest as (
    select * from (
        select
            changes.*,
            row_number() over (partition by warehouse_id, sku_id order by source_lsn desc) as lsn_rank
        from cdc_changes as changes
    ) as ranked
    where lsn_rank = 1
),

changed as (
    select
        warehouse_id,
        sku_id,
        quantity_on_hand,
        unit_of_measure,
        currency_code,
        updated_at,
        event_id,
        op as last_op,
        source_lsn,
        (cast('1970-01-01' as timestamp) + (source_ts_ms / 1000.0) * interval '1 second') as source_committed_at,
        stream_name,
        shard_id,
        sequence_number,
        approximate_arrival_timestamp as arrived_at,
        _loaded_at as loaded_at
    from latest
)


    select warehouse_id, sku_id, quantity_on_hand, unit_of_measure, currency_code, updated_at, event_id, last_op, source_lsn, source_committed_at, stream_name, shard_id, sequence_number, arrived_at, loaded_at from changed
    ) as model_subq
    );

create  table
    "inventory"."silver"."int_ledger_restate_window"
    
  (
    build_id integer,
    pass_from date,
    restated_from date,
    restated_until date,
    is_full_history boolean,
    bronze_loaded_through timestamp
    
    )

    
    
    diststyle all;

insert into "inventory"."silver"."int_ledger_restate_window"
    (
      
    select build_id, pass_from, restated_from, restated_until, is_full_history, bronze_loaded_through
    from (
        -- Redshift physical design: a few rows a day, read by every ledger model in every run: copied to every node.

-- The ledger's restatement window, one row per dbt invocation (docs/late_arriving.md "Chunks"): every
-- ledger model reads the newest row (ledger_window). A pass restates the days from the earliest event day
-- that Bronze rows loaded since the last complete pass affect (and every earlier version of their keys), or
-- the whole history (first build, a ledger table missing, --full-refresh), in whole-month chunks of at most
-- var('ledger_chunk_rows') Bronze rows; each chunk is one invocation. int_ledger_chunk_done records the
-- chunks whose whole chain (ledger, rejects, snapshot, Gold monthly and their tests) succeeded, so:
--   * the newest done chunk ends before the ledger's end (restated_until set) and nothing was loaded since
--     its pass began: the pass resumes with the next chunk (a killed first build resumes where it stopped);
--   * otherwise a new pass starts; "loaded since" means after the watermark of the last complete pass, so a
--     failed or interrupted chunk, or new Bronze during a pass, restates its days again.
-- The log is never rebuilt (full_refresh=false): --full-refresh starts a whole-history pass in it instead,
-- so build_id only grows and the stamps on the tables (build_id) stay comparable.
with loads as (
    select max(loaded_at) as loaded_at
    from (
        select max(_loaded_at) as loaded_at from "inventory"."bronze"."inventory_transactions"
        union all
        select max(_loaded_at) as loaded_at from "inventory"."bronze"."cdc_events"
        union all
        select max(_loaded_at) as loaded_at from "inventory"."bronze"."opening_balances"
        union all
        select max(_loaded_at) as loaded_at from "inventory"."bronze"."standard_costs"
        union all
        select max(_loaded_at) as loaded_at from "inventory"."bronze"."fx_rates"
        union all
        select max(_loaded_at) as loaded_at from "inventory"."bronze"."products"
        union all
        select max(_loaded_at) as loaded_at from "inventory"."bronze"."warehouses"
        
        ) as per_source
)

select
    1 as build_id,
    cast(null as date) as pass_from,
    cast(null as date) as restated_from,
    cast(null as date) as restated_until,
    cast(true as boolean) as is_full_history,
    loads.loaded_at as bronze_loaded_through
from loads
    ) as model_subq
    );

create  table
    "inventory"."silver"."key_map_product_version"
    
  (
    product_key integer,
    sku_id varchar,
    valid_from date
    
    )

    
    
    diststyle all
    
      compound sortkey(sku_id,valid_from);

insert into "inventory"."silver"."key_map_product_version"
    (
      
    select product_key, sku_id, valid_from
    from (
        -- Redshift physical design: A few hundred thousand rows: a copy on every node, like the dimension it keys.

-- The integer key of each product version (sku_id, valid_from): dim_product's product_key, the fact's
-- pointer to the version in force on the event day. Append-only; a key never changes (macros/key_map.sql).
with natural_keys as (
    select distinct sku_id, valid_from
    from "inventory"."bronze"."products"
    where sku_id is not null and valid_from is not null
),

new_keys as (
    select src.sku_id, src.valid_from
    from natural_keys as src
)

select
    cast(
        0
        + row_number() over (order by sku_id, valid_from)
        as integer
    ) as product_key,
    sku_id,
    valid_from
from new_keys
    ) as model_subq
    );

create  table
    "inventory"."silver"."key_map_sku"
    
  (
    sku_entity_key integer,
    sku_id varchar
    
    )

    
    
    diststyle all
    
      compound sortkey(sku_id);

insert into "inventory"."silver"."key_map_sku"
    (
      
    select sku_entity_key, sku_id
    from (
        -- Redshift physical design: About 100K rows: a copy on every node, like the dimension it keys.

-- The integer key of each SKU (sku_id), whatever its versions: dim_product's sku_entity_key, the month-end
-- snapshot's pair identity, which a new product version does not change. Append-only; a key never changes
-- (macros/key_map.sql).
with natural_keys as (
    select distinct sku_id
    from "inventory"."bronze"."products"
    where sku_id is not null
),

new_keys as (
    select src.sku_id
    from natural_keys as src
)

select
    cast(
        0
        + row_number() over (order by sku_id)
        as integer
    ) as sku_entity_key,
    sku_id
from new_keys
    ) as model_subq
    );

create  table
    "inventory"."silver"."key_map_warehouse"
    
  (
    warehouse_entity_key integer,
    warehouse_id varchar
    
    )

    
    
    diststyle all
    
      compound sortkey(warehouse_id);

insert into "inventory"."silver"."key_map_warehouse"
    (
      
    select warehouse_entity_key, warehouse_id
    from (
        -- Redshift physical design: Hundreds of rows: a copy on every node, like the dimension it keys.

-- The integer key of each warehouse (warehouse_id), whatever its versions: dim_warehouse's
-- warehouse_entity_key, the month-end snapshot's pair identity, which a new warehouse version does not
-- change. Append-only; a key never changes (macros/key_map.sql).
with natural_keys as (
    select distinct warehouse_id
    from "inventory"."bronze"."warehouses"
    where warehouse_id is not null
),

new_keys as (
    select src.warehouse_id
    from natural_keys as src
)

select
    cast(
        0
        + row_number() over (order by warehouse_id)
        as integer
    ) as warehouse_entity_key,
    warehouse_id
from new_keys
    ) as model_subq
    );

create  table
    "inventory"."silver"."key_map_warehouse_version"
    
  (
    warehouse_key integer,
    warehouse_id varchar,
    valid_from date
    
    )

    
    
    diststyle all
    
      compound sortkey(warehouse_id,valid_from);

insert into "inventory"."silver"."key_map_warehouse_version"
    (
      
    select warehouse_key, warehouse_id, valid_from
    from (
        -- Redshift physical design: Hundreds of rows: a copy on every node, like the dimension it keys.

-- The integer key of each warehouse version (warehouse_id, valid_from): dim_warehouse's warehouse_key, the
-- fact's pointer to the version in force on the event day. Append-only; a key never changes (macros/key_map.sql).
with natural_keys as (
    select distinct warehouse_id, valid_from
    from "inventory"."bronze"."warehouses"
    where warehouse_id is not null and valid_from is not null
),

new_keys as (
    select src.warehouse_id, src.valid_from
    from natural_keys as src
)

select
    cast(
        0
        + row_number() over (order by warehouse_id, valid_from)
        as integer
    ) as warehouse_key,
    warehouse_id,
    valid_from
from new_keys
    ) as model_subq
    );

create  table
    "inventory"."silver"."opening_balances__dbt_tmp"
    
  (
    warehouse_id varchar,
    sku_id varchar,
    as_of_date date,
    quantity_on_hand bigint
    
    )

    
    
    diststyle key distkey (sku_id)
    
      compound sortkey(warehouse_id,sku_id);

insert into "inventory"."silver"."opening_balances__dbt_tmp"
    (
      
    select warehouse_id, sku_id, as_of_date, quantity_on_hand
    from (
        -- Redshift physical design: Co-located with the ledger and snapshot on sku_id.

-- Stock on hand per warehouse and SKU before the ledger starts.
with balances as (
    select * from (
        select
            src.*,
            row_number() over (
                partition by warehouse_id, sku_id
                order by _loaded_at desc, _batch_id desc, _source_row desc
            ) as _load_rank
        from "inventory"."bronze"."opening_balances" as src
    ) as ranked
    where _load_rank = 1
)

select
    warehouse_id,
    sku_id,
    as_of_date,
    quantity_on_hand
from balances
    ) as model_subq
    );

alter table "inventory"."silver"."opening_balances__dbt_tmp" rename to "opening_balances";

drop table if exists "inventory"."silver"."opening_balances__dbt_backup" cascade;

create  table
    "inventory"."silver"."standard_cost_history__dbt_tmp"
    
  (
    sku_id varchar,
    currency_code varchar,
    standard_cost numeric(18,4),
    effective_from date,
    effective_to date
    
    )

    
    
    diststyle key distkey (sku_id)
    
      compound sortkey(sku_id,effective_from);

insert into "inventory"."silver"."standard_cost_history__dbt_tmp"
    (
      
    select sku_id, currency_code, standard_cost, effective_from, effective_to
    from (
        -- Redshift physical design: Millions of rows at full scale: co-located with the facts on sku_id instead of replicated.

-- Standard cost per SKU and currency with its validity window [effective_from, effective_to).
with costs as (
    select * from (
        select
            src.*,
            row_number() over (
                partition by sku_id, currency_code, effective_date
                order by _loaded_at desc, _batch_id desc, _source_row desc
            ) as _load_rank
        from "inventory"."bronze"."standard_costs" as src
    ) as ranked
    where _load_rank = 1
)

select
    sku_id,
    currency_code,
    standard_cost,
    effective_date as effective_from,
    coalesce(
        lead(effective_date) over (partition by sku_id, currency_code order by effective_date),
        cast('9999-12-31' as date)
    ) as effective_to
from costs
    ) as model_subq
    );

alter table "inventory"."silver"."standard_cost_history__dbt_tmp" rename to "standard_cost_history";

drop table if exists "inventory"."silver"."standard_cost_history__dbt_backup" cascade;

create table "inventory"."silver"."dim_currency" ("currency_code" varchar(3),"currency_name" varchar(64),"minor_units" integer,"is_reporting_currency" boolean);

insert into "inventory"."silver"."dim_currency" ("currency_code", "currency_name", "minor_units", "is_reporting_currency") values
          (%s,%s,%s,%s),(%s,%s,%s,%s),(%s,%s,%s,%s),(%s,%s,%s,%s),(%s,%s,%s,%s),(%s,%s,%s,%s),(%s,%s,%s,%s),(%s,%s,%s,%s),(%s,%s,%s,%s),(%s,%s,%s,%s),(%s,%s,%s,%s),(%s,%s,%s,%s),(%s,%s,%s,%s);

create  table
    "inventory"."silver"."fx_rates_monthly__dbt_tmp"
    
  (
    currency_code varchar,
    month_end_date date,
    month_key integer,
    month_end_usd_per_unit numeric(18,8),
    month_end_rate_date date,
    month_average_usd_per_unit numeric(18,8)
    
    )

    
    
    diststyle all
    
      compound sortkey(currency_code,month_end_date);

insert into "inventory"."silver"."fx_rates_monthly__dbt_tmp"
    (
      
    select currency_code, month_end_date, month_key, month_end_usd_per_unit, month_end_rate_date, month_average_usd_per_unit
    from (
        -- Redshift physical design: Hundreds of rows: replicate to every node.

-- Per currency and month: the closing rate of the month's last business day and the monthly average.
with ranked as (
    select
        currency_code,
        month_end_date,
        rate_date,
        usd_per_unit,
        row_number() over (partition by currency_code, month_end_date order by rate_date desc) as close_rank
    from "inventory"."silver"."fx_rates_daily"
)

select
    currency_code,
    month_end_date,
    (cast(extract(year from month_end_date) as integer) * 100 + cast(extract(month from month_end_date) as integer)) as month_key,
    max(case when close_rank = 1 then usd_per_unit end) as month_end_usd_per_unit,
    max(case when close_rank = 1 then rate_date end) as month_end_rate_date,
    cast(avg(usd_per_unit) as numeric(18, 8)) as month_average_usd_per_unit
from ranked
group by currency_code, month_end_date
    ) as model_subq
    );

alter table "inventory"."silver"."fx_rates_monthly__dbt_tmp" rename to "fx_rates_monthly";

drop table if exists "inventory"."silver"."fx_rates_monthly__dbt_backup" cascade;

create  table
    "inventory"."silver"."dim_product__dbt_tmp"
    
  (
    product_key integer,
    sku_entity_key integer,
    sku_id varchar,
    product_name varchar(1024),
    category_code varchar,
    category_name varchar(1024),
    brand varchar(1024),
    unit_of_measure varchar,
    effective_from date,
    effective_to date,
    is_current boolean
    
    )

    
    
    diststyle all
    
      compound sortkey(sku_id,effective_from);

insert into "inventory"."silver"."dim_product__dbt_tmp"
    (
      
    select product_key, sku_entity_key, sku_id, product_name, category_code, category_name, brand, unit_of_measure, effective_from, effective_to, is_current
    from (
        -- Redshift physical design: Small dimension: a copy on every node makes the as-of join local.

-- SCD type 2 product dimension: one row per version of a SKU's attributes.
with loaded as (
    select * from (
        select
            src.*,
            row_number() over (
                partition by sku_id, valid_from
                order by _loaded_at desc, _batch_id desc, _source_row desc
            ) as _load_rank
        from "inventory"."bronze"."products" as src
    ) as ranked
    where _load_rank = 1
),

-- Each version's integer key, and its SKU's: the maps are built from the same Bronze table before this model.
versions as (
    select
        k.product_key,
        e.sku_entity_key,
        loaded.*
    from loaded
    inner join "inventory"."silver"."key_map_product_version" as k
        on k.sku_id = loaded.sku_id and k.valid_from = loaded.valid_from
    inner join "inventory"."silver"."key_map_sku" as e
        on e.sku_id = loaded.sku_id
)

select
    product_key,
    sku_entity_key,
    sku_id,
    product_name,
    category_code,
    category_name,
    brand,
    unit_of_measure,
    valid_from as effective_from,
    coalesce(
        lead(valid_from) over (partition by sku_id order by valid_from),
        cast('9999-12-31' as date)
    ) as effective_to,
    (lead(valid_from) over (partition by sku_id order by valid_from) is null) as is_current
from versions
    ) as model_subq
    );

alter table "inventory"."silver"."dim_product__dbt_tmp" rename to "dim_product";

drop table if exists "inventory"."silver"."dim_product__dbt_backup" cascade;

create  table
    "inventory"."silver"."dim_warehouse__dbt_tmp"
    
  (
    warehouse_key integer,
    warehouse_entity_key integer,
    warehouse_id varchar,
    warehouse_name varchar(1024),
    region varchar,
    country_code varchar,
    city varchar(1024),
    currency_code varchar,
    open_date date,
    close_date date,
    allows_backorder boolean,
    effective_from date,
    effective_to date,
    is_current boolean
    
    )

    
    
    diststyle all
    
      compound sortkey(warehouse_id,effective_from);

insert into "inventory"."silver"."dim_warehouse__dbt_tmp"
    (
      
    select warehouse_key, warehouse_entity_key, warehouse_id, warehouse_name, region, country_code, city, currency_code, open_date, close_date, allows_backorder, effective_from, effective_to, is_current
    from (
        -- Redshift physical design: Hundreds of rows: replicate to every node.

-- SCD type 2 warehouse dimension: one row per version of a warehouse's attributes.
with loaded as (
    select * from (
        select
            src.*,
            row_number() over (
                partition by warehouse_id, valid_from
                order by _loaded_at desc, _batch_id desc, _source_row desc
            ) as _load_rank
        from "inventory"."bronze"."warehouses" as src
    ) as ranked
    where _load_rank = 1
),

-- Each version's integer key, and its warehouse's: the maps are built from the same Bronze table before this model.
versions as (
    select
        k.warehouse_key,
        e.warehouse_entity_key,
        loaded.*
    from loaded
    inner join "inventory"."silver"."key_map_warehouse_version" as k
        on k.warehouse_id = loaded.warehouse_id and k.valid_from = loaded.valid_from
    inner join "inventory"."silver"."key_map_warehouse" as e
        on e.warehouse_id = loaded.warehouse_id
)

select
    warehouse_key,
    warehouse_entity_key,
    warehouse_id,
    warehouse_name,
    region,
    country_code,
    city,
    currency_code,
    open_date,
    close_date,
    allows_backorder,
    valid_from as effective_from,
    coalesce(
        lead(valid_from) over (partition by warehouse_id order by valid_from),
        cast('9999-12-31' as date)
    ) as effective_to,
    (lead(valid_from) over (partition by warehouse_id order by valid_from) is null) as is_current
from versions
    ) as model_subq
    );

alter table "inventory"."silver"."dim_warehouse__dbt_tmp" rename to "dim_warehouse";

drop table if exists "inventory"."silver"."dim_warehouse__dbt_backup" cascade;

create  table
    "inventory"."silver"."dim_date__dbt_tmp"
    
  (
    date_day date,
    date_key integer,
    calendar_year integer,
    calendar_quarter integer,
    calendar_month integer,
    month_key integer,
    month_name varchar,
    day_of_month integer,
    day_of_week integer,
    is_weekend boolean,
    month_start_date date,
    month_end_date date,
    is_month_end boolean,
    fiscal_year integer,
    fiscal_period integer,
    fiscal_quarter integer,
    same_day_last_year date,
    same_month_last_year_key integer
    
    )

    
    
    diststyle all
    
      compound sortkey(date_day);

insert into "inventory"."silver"."dim_date__dbt_tmp"
    (
      
    select date_day, date_key, calendar_year, calendar_quarter, calendar_month, month_key, month_name, day_of_month, day_of_week, is_weekend, month_start_date, month_end_date, is_month_end, fiscal_year, fiscal_period, fiscal_quarter, same_day_last_year, same_month_last_year_key
    from (
        -- Redshift physical design: a few thousand rows; replicate everywhere, sorted by date.

-- Calendar and fiscal attributes for every day from the first opening balance to the end of the year
-- of the last movement. The fiscal year starts in the month set by var fiscal_year_start_month
-- (February, the retail convention) and is named after the calendar year it ends in.
with bounds as (
    select
        min(first_day) as first_day,
        max(last_day) as last_day
    from (
        select
            min(as_of_date) as first_day,
            max(as_of_date) as last_day
        from "inventory"."silver"."opening_balances"
        union all
        -- min/max of the column itself, then the cast: a cast inside the aggregate cost a full 302M-row scan at `medium`
        select
            cast(min(event_ts) as date) as first_day,
            cast(max(event_ts) as date) as last_day
        from "inventory"."bronze"."inventory_transactions"
    ) as edges
),

digits as (
    select 0 as n
    union all
    select 1 as n
    union all
    select 2 as n
    union all
    select 3 as n
    union all
    select 4 as n
    union all
    select 5 as n
    union all
    select 6 as n
    union all
    select 7 as n
    union all
    select 8 as n
    union all
    select 9 as n
),

numbers as (
    select d1.n + 10 * d2.n + 100 * d3.n + 1000 * d4.n + 10000 * d5.n as n
    from digits as d1 cross join digits as d2 cross join digits as d3 cross join digits as d4 cross join digits as d5
),

days as (
    select cast(

    dateadd(
        day,
        numbers.n,
        bounds.first_day
        )

 as date) as date_day
    from numbers
    cross join bounds
    where numbers.n <= datediff(
        day,
        bounds.first_day,
        cast(date_trunc('year', bounds.last_day) as date)
        ) + 366
),

calendar as (
    select
        date_day,
        cast(extract(year from date_day) as integer) as calendar_year,
        cast(extract(month from date_day) as integer) as calendar_month,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(extract(dow from date_day) as integer) as day_of_week,
        cast(date_trunc('month', date_day) as date) as month_start_date,
        cast(
    cast(
        

    dateadd(
        day,
        -1,
        

    dateadd(
        month,
        1,
        date_trunc('month', date_day)
        )


        )


        as date)
 as date) as month_end_date
    from days
    where
        cast(extract(year from date_day) as integer)
        <= (select cast(extract(year from last_day) as integer) from bounds)
)

select
    date_day,
    calendar_year * 10000 + calendar_month * 100 + day_of_month as date_key,
    calendar_year,
    cast(floor((calendar_month - 1) / 3.0) as integer) + 1 as calendar_quarter,
    calendar_month,
    (cast(extract(year from date_day) as integer) * 100 + cast(extract(month from date_day) as integer)) as month_key,
    case calendar_month
        
        when 1 then cast('January' as varchar)
        
        when 2 then cast('February' as varchar)
        
        when 3 then cast('March' as varchar)
        
        when 4 then cast('April' as varchar)
        
        when 5 then cast('May' as varchar)
        
        when 6 then cast('June' as varchar)
        
        when 7 then cast('July' as varchar)
        
        when 8 then cast('August' as varchar)
        
        when 9 then cast('September' as varchar)
        
        when 10 then cast('October' as varchar)
        
        when 11 then cast('November' as varchar)
        
        when 12 then cast('December' as varchar)
        
    end as month_name,
    day_of_month,
    day_of_week,
    day_of_week in (0, 6) as is_weekend,
    month_start_date,
    month_end_date,
    date_day = month_end_date as is_month_end,
    case when calendar_month >= 2 then calendar_year + 1 else calendar_year end
    - case when 2 = 1 then 1 else 0 end as fiscal_year,
    mod(calendar_month - 2 + 12, 12) + 1 as fiscal_period,
    cast(floor(mod(calendar_month - 2 + 12, 12) / 3.0) as integer) + 1 as fiscal_quarter,
    cast(

    dateadd(
        year,
        -1,
        date_day
        )

 as date) as same_day_last_year,
    ((cast(extract(year from date_day) as integer) * 100 + cast(extract(month from date_day) as integer)) - 100) as same_month_last_year_key
from calendar
    ) as model_subq
    );

alter table "inventory"."silver"."dim_date__dbt_tmp" rename to "dim_date";

drop table if exists "inventory"."silver"."dim_date__dbt_backup" cascade;

create  table
    "inventory"."silver"."dim_category__dbt_tmp"
    
  (
    category_code varchar,
    category_name varchar(1024)
    
    )

    
    
    diststyle all
    
      compound sortkey(category_code);

insert into "inventory"."silver"."dim_category__dbt_tmp"
    (
      
    select category_code, category_name
    from (
        -- Redshift physical design: Fifty rows: replicate to every node.

-- Merchandise categories: every category any product version has used (current or historical),
-- named as in its most recent product version.
select
    category_code,
    category_name
from (
    select
        category_code,
        category_name,
        row_number() over (partition by category_code order by effective_from desc, sku_id asc) as recency
    from "inventory"."silver"."dim_product"
) as named
where recency = 1
    ) as model_subq
    );

alter table "inventory"."silver"."dim_category__dbt_tmp" rename to "dim_category";

drop table if exists "inventory"."silver"."dim_category__dbt_backup" cascade;

create  table
    "inventory"."silver"."cdc_rejects__dbt_tmp"
    
  (
    source_table varchar,
    row_key varchar,
    event_id varchar,
    op varchar,
    source_lsn bigint,
    warehouse_id varchar,
    sku_id varchar,
    reject_reason varchar,
    source_committed_at timestamp,
    stream_name varchar,
    shard_id varchar,
    sequence_number varchar,
    loaded_at timestamp
    
    )

    
    
    diststyle even
    
      compound sortkey(loaded_at);

insert into "inventory"."silver"."cdc_rejects__dbt_tmp"
    (
      
    select source_table, row_key, event_id, op, source_lsn, warehouse_id, sku_id, reject_reason, source_committed_at, stream_name, shard_id, sequence_number, loaded_at
    from (
        -- Redshift physical design: expected empty; even distribution, newest loads found by sort key.

-- Streamed changes Silver does not apply: the latest change of a row names a warehouse or SKU that no
-- version of the conformed dimensions knows. Kept with the event, the row key and the reason rather
-- than applied or dropped; the check on this table fails while any row is here. A reject leaves when
-- the master data arrives or the source changes or deletes the row.
--   stock_levels: kept out of stock_levels_current.
--   inventory_transactions: the change still replaces a batch row with the same id (the source no
--   longer holds that version), and the ledger refuses it like a batch row (transaction_rejects).
with stock_levels as (
    
    select
        changes.*,
        case
            when known_skus.sku_id is null then cast('unknown sku_id' as varchar)
            when known_warehouses.warehouse_id is null then cast('unknown warehouse_id' as varchar)
        end as reject_reason
    from "inventory"."silver"."int_cdc_stock_levels_state" as changes
    left join (select distinct sku_id from "inventory"."silver"."dim_product") as known_skus
        on known_skus.sku_id = changes.sku_id
    left join (select distinct warehouse_id from "inventory"."silver"."dim_warehouse") as known_warehouses
        on known_warehouses.warehouse_id = changes.warehouse_id
),

transactions as (
    
    select
        changes.*,
        case
            when known_skus.sku_id is null then cast('unknown sku_id' as varchar)
            when known_warehouses.warehouse_id is null then cast('unknown warehouse_id' as varchar)
        end as reject_reason
    from "inventory"."silver"."cdc_inventory_transactions" as changes
    left join (select distinct sku_id from "inventory"."silver"."dim_product") as known_skus
        on known_skus.sku_id = changes.sku_id
    left join (select distinct warehouse_id from "inventory"."silver"."dim_warehouse") as known_warehouses
        on known_warehouses.warehouse_id = changes.warehouse_id
)

select
    cast('stock_levels' as varchar) as source_table,
    warehouse_id || '|' || sku_id as row_key,
    event_id,
    last_op as op,
    source_lsn,
    warehouse_id,
    sku_id,
    reject_reason,
    source_committed_at,
    stream_name,
    shard_id,
    sequence_number,
    loaded_at
from stock_levels
where last_op <> 'd' and reject_reason is not null

union all

select
    cast('inventory_transactions' as varchar) as source_table,
    cast(transaction_id as varchar) as row_key,
    event_id,
    last_op as op,
    source_lsn,
    warehouse_id,
    sku_id,
    reject_reason,
    source_committed_at,
    stream_name,
    shard_id,
    sequence_number,
    loaded_at
from transactions
where not is_deleted and reject_reason is not null
    ) as model_subq
    );

alter table "inventory"."silver"."cdc_rejects__dbt_tmp" rename to "cdc_rejects";

drop table if exists "inventory"."silver"."cdc_rejects__dbt_backup" cascade;

create  table
    "inventory"."silver"."int_ledger_resolved__dbt_tmp"
    
  (
    transaction_id bigint,
    event_ts timestamp,
    event_date date,
    movement_type varchar,
    quantity bigint,
    source_row bigint,
    load_file_key bigint,
    source_lsn bigint,
    product_key integer,
    warehouse_key integer,
    extended_value_local numeric(18,4),
    reject_reason varchar,
    reference_id varchar,
    warehouse_id varchar,
    sku_id varchar,
    loaded_at timestamp,
    source_batch_id varchar,
    source_file varchar(1024)
    
    )

    
    
    diststyle key distkey (sku_id)
    
      compound sortkey(event_date);

insert into "inventory"."silver"."int_ledger_resolved__dbt_tmp"
    (
      
    select transaction_id, event_ts, event_date, movement_type, quantity, source_row, load_file_key, source_lsn, product_key, warehouse_key, extended_value_local, reject_reason, reference_id, warehouse_id, sku_id, loaded_at, source_batch_id, source_file
    from (
        -- Redshift physical design: distributed and sorted like the ledger it feeds (sku_id; event date).

-- The ledger, resolved for the days of int_ledger_restate_window: the deduplicated movements
-- of batch files and the CDC stream (one ledger: a streamed change of a transaction_id replaces the
-- batch row with that id, a streamed delete removes it), each with the product and warehouse versions
-- and the standard cost in force on its event day and, for rows that cannot be resolved, the reason.
-- fct_inventory_transactions keeps the resolved rows, transaction_rejects the others.
-- A view on DuckDB, a table on Redshift (resolution_materialization, macros/ledger.sql). Lean: a resolved
-- row carries the fact's columns only; the natural keys, load lineage and reference of a row are kept
-- where transaction_rejects needs them (rejects), and reference_id on transfer legs.
--
-- A daily run reads only the restated days: Bronze rows of keys with some version on or after
-- the first restated day. A key whose latest version moved before that day drops out here, and the day
-- was chosen from all its versions (first_affected_day), so its old row is deleted with the restated
-- days. A first build or --full-refresh resolves the whole history; with nothing new, no row.
-- In a chunked pass (docs/late_arriving.md "Chunks") the window also ends (restate_until): the rows whose
-- latest version falls in [restate_from, restate_until), so memory and storage follow the chunk.
with batch_ledger as (
    select src.*, 1 as _load_rank
    from "inventory"."bronze"."inventory_transactions" as src
    left join (select transaction_id from "inventory"."bronze"."inventory_transactions" as counted
         group by transaction_id having count(*) > 1) as repeated on repeated.transaction_id = src.transaction_id
    where repeated.transaction_id is null
    union all
    select * from (
        select
            src.*,
            row_number() over (
                partition by transaction_id
                order by _loaded_at desc, _batch_id desc, _source_row desc
            ) as _load_rank
        from (select src.* from "inventory"."bronze"."inventory_transactions" as src inner join (select transaction_id from "inventory"."bronze"."inventory_transactions" as counted
         group by transaction_id having count(*) > 1) as repeated on repeated.transaction_id = src.transaction_id) as src
    ) as ranked
    where _load_rank = 1
),

streamed as (
    select * from "inventory"."silver"."cdc_inventory_transactions"
),

ledger as (
    select
        b.transaction_id,
        b.event_ts,
        b.warehouse_id,
        b.sku_id,
        b.movement_type,
        b.quantity,
        b.reference_id,
        b._loaded_at,
        b._batch_id,
        b._source_file,
        b._source_row,
        b._load_file_key,
        cast(null as bigint) as source_lsn
    from batch_ledger as b
    left join streamed as s on s.transaction_id = b.transaction_id
    where s.transaction_id is null
    union all
    select
        transaction_id,
        event_ts,
        warehouse_id,
        sku_id,
        movement_type,
        quantity,
        reference_id,
        loaded_at as _loaded_at,
        load_batch_id as _batch_id,
        'kinesis:' || stream_name || '/' || shard_id as _source_file,
        cast(null as bigint) as _source_row,
        cast(null as bigint) as _load_file_key,
        source_lsn
    from streamed
    where not is_deleted
),

known_skus as (select distinct sku_id from "inventory"."silver"."dim_product"),

known_warehouses as (select distinct warehouse_id from "inventory"."silver"."dim_warehouse"),

resolved as (
    select
        l.transaction_id,
        l.event_ts,
        cast(l.event_ts as date) as event_date,
        l.warehouse_id,
        l.sku_id,
        l.movement_type,
        l.quantity,
        l.reference_id,
        l._loaded_at as loaded_at,
        l._batch_id as source_batch_id,
        l._source_file as source_file,
        l._source_row as source_row,
        l._load_file_key as load_file_key,
        l.source_lsn,
        p.product_key,
        p.category_code,
        w.warehouse_key,
        w.currency_code,
        ks.sku_id is not null as sku_known,
        kw.warehouse_id is not null as warehouse_known
    from ledger as l
    -- SCD2 as-of joins: the version whose [effective_from, effective_to) holds the event day.
    left join "inventory"."silver"."dim_product" as p
        on p.sku_id = l.sku_id
        and cast(l.event_ts as date) >= p.effective_from
        and cast(l.event_ts as date) < p.effective_to
    left join "inventory"."silver"."dim_warehouse" as w
        on w.warehouse_id = l.warehouse_id
        and cast(l.event_ts as date) >= w.effective_from
        and cast(l.event_ts as date) < w.effective_to
    left join known_skus as ks on ks.sku_id = l.sku_id
    left join known_warehouses as kw on kw.warehouse_id = l.warehouse_id
    
),

reasoned as (
    select
        *,
        case
            when not sku_known then cast('unknown sku_id' as varchar)
            when not warehouse_known then cast('unknown warehouse_id' as varchar)
            when product_key is null then cast('no product version valid at event date' as varchar)
            when warehouse_key is null then cast('no warehouse version valid at event date' as varchar)
        end as reject_reason
    from resolved
)

select
    r.transaction_id,
    r.event_ts,
    r.event_date,
    r.movement_type,
    r.quantity,
    r.source_row,
    r.load_file_key,
    r.source_lsn,
    r.product_key,
    r.warehouse_key,
    cast((r.quantity * c.standard_cost) as numeric(18, 4)) as extended_value_local,
    r.reject_reason,
    case
        when r.reject_reason is not null or r.movement_type in ('TRANSFER_OUT', 'TRANSFER_IN')
            then r.reference_id
    end as reference_id,
    case when r.reject_reason is not null then r.warehouse_id end as warehouse_id,
    case when r.reject_reason is not null then r.sku_id end as sku_id,
    case when r.reject_reason is not null then r.loaded_at end as loaded_at,
    case when r.reject_reason is not null then r.source_batch_id end as source_batch_id,
    case when r.reject_reason is not null then r.source_file end as source_file
from reasoned as r
left join "inventory"."silver"."standard_cost_history" as c
    on c.sku_id = r.sku_id
    and c.currency_code = r.currency_code
    and r.event_date >= c.effective_from
    and r.event_date < c.effective_to
    ) as model_subq
    );

alter table "inventory"."silver"."int_ledger_resolved__dbt_tmp" rename to "int_ledger_resolved";

drop table if exists "inventory"."silver"."int_ledger_resolved__dbt_backup" cascade;

create  table
    "inventory"."silver"."stock_levels_current__dbt_tmp"
    
  (
    warehouse_id varchar,
    sku_id varchar,
    quantity_on_hand bigint,
    unit_of_measure varchar,
    currency_code varchar,
    updated_at timestamp,
    source_lsn bigint,
    source_committed_at timestamp,
    loaded_at timestamp
    
    )

    
    
    diststyle key distkey (sku_id)
    
      compound sortkey(warehouse_id,sku_id);

insert into "inventory"."silver"."stock_levels_current__dbt_tmp"
    (
      
    select warehouse_id, sku_id, quantity_on_hand, unit_of_measure, currency_code, updated_at, source_lsn, source_committed_at, loaded_at
    from (
        -- Redshift physical design: one row per warehouse x SKU; distributed on sku_id like the ledger and the snapshot it is compared with.

-- Current stock on hand per warehouse x SKU as the source system reports it through CDC: per key
-- the change with the highest lsn (int_cdc_stock_levels_state); keys whose last change is a delete are gone. A key whose warehouse
-- or SKU the conformed dimensions do not know is not applied: it is in cdc_rejects, whose check fails.
with checked as (
    
    select
        changes.*,
        case
            when known_skus.sku_id is null then cast('unknown sku_id' as varchar)
            when known_warehouses.warehouse_id is null then cast('unknown warehouse_id' as varchar)
        end as reject_reason
    from "inventory"."silver"."int_cdc_stock_levels_state" as changes
    left join (select distinct sku_id from "inventory"."silver"."dim_product") as known_skus
        on known_skus.sku_id = changes.sku_id
    left join (select distinct warehouse_id from "inventory"."silver"."dim_warehouse") as known_warehouses
        on known_warehouses.warehouse_id = changes.warehouse_id
)

select
    warehouse_id,
    sku_id,
    quantity_on_hand,
    unit_of_measure,
    currency_code,
    updated_at,
    source_lsn,
    source_committed_at,
    loaded_at
from checked
where
    last_op <> 'd'
    and reject_reason is null
    ) as model_subq
    );

alter table "inventory"."silver"."stock_levels_current__dbt_tmp" rename to "stock_levels_current";

drop table if exists "inventory"."silver"."stock_levels_current__dbt_backup" cascade;

create  table
    "inventory"."silver"."fct_inventory_transactions"
    
  (
    transaction_id bigint,
    event_ts timestamp,
    event_date date,
    month_end_date date,
    warehouse_key integer,
    product_key integer,
    movement_type varchar,
    quantity bigint,
    transfer_id varchar,
    extended_value_local numeric(18,4),
    load_file_key bigint,
    source_row bigint,
    source_lsn bigint,
    bronze_loaded_through timestamp,
    build_id integer
    
    )

    
    
    diststyle key distkey (product_key)
    
      compound sortkey(event_date,transaction_id);

insert into "inventory"."silver"."fct_inventory_transactions"
    (
      
    select transaction_id, event_ts, event_date, month_end_date, warehouse_key, product_key, movement_type, quantity, transfer_id, extended_value_local, load_file_key, source_row, source_lsn, bronze_loaded_through, build_id
    from (
        -- Redshift physical design: Billions of rows: distributed on product_key (versions of 100K SKUs, an even spread),
-- sorted by event date (then transaction id, the order each chunk writes) so daily increments and month ranges
-- scan only their blocks.

-- The inventory ledger at movement grain: one row per source movement, deduplicated by
-- transaction_id, with the product and warehouse versions in force on the event date.
-- Lean (docs/model_contracts.md "The lean ledger"): integer version keys, measures, dates and a lineage
-- pointer (load_file_key, source_row) into bronze.load_log and Bronze; natural keys, category, currency,
-- unit cost, reference_id (kept as transfer_id on transfer legs) and the source file come back through
-- fct_inventory_transactions_detail.
--
-- Incremental (docs/late_arriving.md): a run replaces the days int_ledger_restate_window restates with
-- the resolved rows of int_ledger_resolved, which resolves only those days; with nothing new it writes
-- nothing. A first run or --full-refresh builds the whole ledger (with its window).

select
    r.transaction_id,
    r.event_ts,
    r.event_date,
    cast(
    cast(
        

    dateadd(
        day,
        -1,
        

    dateadd(
        month,
        1,
        date_trunc('month', r.event_date)
        )


        )


        as date)
 as date) as month_end_date,
    r.warehouse_key,
    r.product_key,
    r.movement_type,
    r.quantity,
    -- the transfer's id on its two legs only (about 1% of rows): the transfers check reads the fact alone
    case when r.movement_type in ('TRANSFER_OUT', 'TRANSFER_IN') then r.reference_id end as transfer_id,
    r.extended_value_local,
    r.load_file_key,
    r.source_row,
    r.source_lsn,
    w.bronze_loaded_through,
    w.build_id
from "inventory"."silver"."int_ledger_resolved" as r
inner join "inventory"."silver"."int_ledger_restate_window" as w
    on w.build_id = (select max(build_id) from "inventory"."silver"."int_ledger_restate_window")
where r.reject_reason is null

    ) as model_subq
    );

create  table
    "inventory"."silver"."transaction_rejects"
    
  (
    transaction_id bigint,
    event_ts timestamp,
    event_date date,
    warehouse_id varchar,
    sku_id varchar,
    movement_type varchar,
    quantity bigint,
    reference_id varchar,
    reject_reason varchar,
    loaded_at timestamp,
    source_batch_id varchar,
    source_file varchar(1024),
    source_row bigint,
    bronze_loaded_through timestamp,
    build_id integer
    
    )

    
    
    diststyle even
    
      compound sortkey(loaded_at);

insert into "inventory"."silver"."transaction_rejects"
    (
      
    select transaction_id, event_ts, event_date, warehouse_id, sku_id, movement_type, quantity, reference_id, reject_reason, loaded_at, source_batch_id, source_file, source_row, bronze_loaded_through, build_id
    from (
        -- Redshift physical design: Expected near-empty; even distribution, newest loads found by sort key.

-- Ledger rows that reference an unknown SKU or warehouse, or fall outside every dimension version.
-- Kept with the reason rather than dropped; a failing check counts them. Restated incrementally like
-- fct_inventory_transactions (the same window, the same resolved rows): a reject leaves when the master
-- data it lacked arrives.

select
    r.transaction_id,
    r.event_ts,
    r.event_date,
    r.warehouse_id,
    r.sku_id,
    r.movement_type,
    r.quantity,
    r.reference_id,
    r.reject_reason,
    r.loaded_at,
    r.source_batch_id,
    r.source_file,
    r.source_row,
    w.bronze_loaded_through,
    w.build_id
from "inventory"."silver"."int_ledger_resolved" as r
inner join "inventory"."silver"."int_ledger_restate_window" as w
    on w.build_id = (select max(build_id) from "inventory"."silver"."int_ledger_restate_window")
where r.reject_reason is not null
    ) as model_subq
    );

create view "inventory"."silver"."fct_inventory_transactions_all_history__dbt_tmp" as (
    

-- The whole ledger, hot and cold (docs/architecture/cold_tier.md): rows from the cold tier's watermark on
-- come from fct_inventory_transactions, older rows from the committed Parquet of the cold tier. Anything
-- that needs history beyond the retention window (a full rebuild of the month-end snapshot, a 4-year
-- query) reads this view. Hot rows older than the watermark (late arrivals to closed history, copies a
-- full refresh re-created) are hidden here until the next offload: never counted twice.
with watermark as (
    select coalesce(max(cutoff_date), cast('0001-01-01' as date)) as cutoff_date
    from "inventory"."silver"."cold_tier_partitions"
    where table_name = 'fct_inventory_transactions'
)

select
    hot.transaction_id,
    hot.event_ts,
    hot.event_date,
    hot.month_end_date,
    hot.warehouse_key,
    hot.product_key,
    hot.movement_type,
    hot.quantity,
    hot.transfer_id,
    hot.extended_value_local,
    hot.load_file_key,
    hot.source_row,
    hot.source_lsn
from "inventory"."silver"."fct_inventory_transactions" as hot
where hot.event_date >= (select cutoff_date from watermark)

union all

select
        cast(cold.transaction_id as bigint) as transaction_id,
        cast(cold.event_ts as timestamp) as event_ts,
        cast(cold.event_date as date) as event_date,
        cast(cold.month_end_date as date) as month_end_date,
        cast(cold.warehouse_key as integer) as warehouse_key,
        cast(cold.product_key as integer) as product_key,
        cast(cold.movement_type as varchar) as movement_type,
        cast(cold.quantity as bigint) as quantity,
        cast(cold.transfer_id as varchar) as transfer_id,
        cast(cold.extended_value_local as numeric(18,4)) as extended_value_local,
        cast(cold.load_file_key as bigint) as load_file_key,
        cast(cold.source_row as bigint) as source_row,
        cast(cold.source_lsn as bigint) as source_lsn
    from "cold"."fct_inventory_transactions" as cold
    where cold.offload_id in (select offload_id from "inventory"."silver"."cold_tier_partitions" where table_name = 'fct_inventory_transactions')
  ) with no schema binding;

alter table "inventory"."silver"."fct_inventory_transactions_all_history__dbt_tmp" rename to "fct_inventory_transactions_all_history";

drop view if exists "inventory"."silver"."fct_inventory_transactions_all_history__dbt_backup" cascade;

create  table
    "inventory"."silver"."fct_inventory_snapshot_month_end"
    
  (
    month_end_date date,
    warehouse_entity_key integer,
    sku_entity_key integer,
    product_key integer,
    quantity_on_hand bigint,
    net_movement_quantity bigint,
    movement_count bigint,
    value_local numeric(18,4),
    bronze_loaded_through timestamp,
    build_id integer
    
    )

    
    
    diststyle key distkey (sku_entity_key)
    
      compound sortkey(month_end_date,warehouse_entity_key);

insert into "inventory"."silver"."fct_inventory_snapshot_month_end"
    (
      
    select month_end_date, warehouse_entity_key, sku_entity_key, product_key, quantity_on_hand, net_movement_quantity, movement_count, value_local, bronze_loaded_through, build_id
    from (
        -- Redshift physical design: Distributed on the SKU's entity key, so a pair's months are on one slice for the
-- running balance; sorted by month end for period scans and for the month-range delete of each restatement.

-- Periodic snapshot: stock on hand per warehouse x SKU at each month end, from the opening balance
-- plus the ledger's net movements. A pair appears from its first month with stock or movement;
-- months with neither stock nor movement are not stored (no densification). Valued with the standard
-- cost in force at month end in the warehouse's currency; Gold translates to USD per cell. Lean: integer
-- entity keys (the pair's identity across versions), the product version in force at month end (Gold's
-- category) and measures, written in (month end, warehouse, SKU) order; the wide row with names,
-- currency, unit cost and USD is fct_inventory_snapshot_month_end_detail (docs/model_contracts.md).
--
-- Incremental (docs/late_arriving.md): a run restates whole months of the ledger's window
-- (int_ledger_restate_window: the earliest month any Bronze row loaded since the last complete pass
-- affects, up to the chunk's end), deletes every later month and leaves earlier months untouched: a
-- restated month's balance = the balance at the last month end before it (read from this table) + its
-- net movements. With nothing new loaded the run writes nothing; a first run or --full-refresh builds
-- the window's months from the first.
with window_row as (
    select
        build_id,
        bronze_loaded_through
    from "inventory"."silver"."int_ledger_restate_window"
    where build_id = (select max(build_id) from "inventory"."silver"."int_ledger_restate_window")
),

-- The lean ledger holds version keys: summed per key, then mapped to the warehouse's and SKU's entity keys.
-- Hot and cold ledger: a full rebuild needs every month (docs/architecture/cold_tier.md).
movements as (
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
        from "inventory"."silver"."fct_inventory_transactions_all_history"
        where true
        group by warehouse_key, product_key, month_end_date
    ) as v
    inner join "inventory"."silver"."dim_warehouse" as w on w.warehouse_key = v.warehouse_key
    inner join "inventory"."silver"."dim_product" as p on p.product_key = v.product_key
    group by w.warehouse_entity_key, p.sku_entity_key, v.month_end_date
),

-- An opening balance of an id no key map holds keeps a null key, so the not_null tests name it.
opening as (
    select
        w.warehouse_entity_key,
        k.sku_entity_key,
        cast(
    cast(
        

    dateadd(
        day,
        -1,
        

    dateadd(
        month,
        1,
        date_trunc('month', o.as_of_date)
        )


        )


        as date)
 as date) as month_end_date,
        o.quantity_on_hand
    from "inventory"."silver"."opening_balances" as o
    left join "inventory"."silver"."key_map_warehouse" as w on w.warehouse_id = o.warehouse_id
    left join "inventory"."silver"."key_map_sku" as k on k.sku_id = o.sku_id
    where true
),

-- Balances carried into the first restated month: the last stored month end before it. A pair
-- without a row there had nothing on hand (a non-zero balance is stored every month).
carried as (
    
    select
        warehouse_entity_key,
        sku_entity_key,
        quantity_on_hand
    from opening
    where 1 = 0
    
),

last_month as (
    select max(month_end_date) as month_end_date from movements
),

month_ends as (
    select distinct month_end_date from movements
    union
    select distinct month_end_date from opening
),

pair_start as (
    select
        warehouse_entity_key,
        sku_entity_key,
        min(month_end_date) as first_month_end
    from (
        select
            warehouse_entity_key,
            sku_entity_key,
            month_end_date
        from movements
        union all
        select
            warehouse_entity_key,
            sku_entity_key,
            month_end_date
        from opening
        union all
        select
            warehouse_entity_key,
            sku_entity_key,
            (select min(month_end_date) from month_ends) as month_end_date
        from carried
    ) as activity
    group by warehouse_entity_key, sku_entity_key
),

spine as (
    select
        p.warehouse_entity_key,
        p.sku_entity_key,
        m.month_end_date
    from pair_start as p
    inner join month_ends as m
        on m.month_end_date >= p.first_month_end
    cross join last_month
    where m.month_end_date <= last_month.month_end_date
),

balances as (
    select
        s.warehouse_entity_key,
        s.sku_entity_key,
        s.month_end_date,
        coalesce(mv.net_quantity, 0) as net_movement_quantity,
        coalesce(mv.movement_count, 0) as movement_count,
        coalesce(c.quantity_on_hand, 0) + sum(coalesce(mv.net_quantity, 0) + coalesce(o.quantity_on_hand, 0)) over (
            partition by s.warehouse_entity_key, s.sku_entity_key
            order by s.month_end_date
            rows between unbounded preceding and current row
        ) as quantity_on_hand
    from spine as s
    left join movements as mv
        on mv.warehouse_entity_key = s.warehouse_entity_key and mv.sku_entity_key = s.sku_entity_key
        and mv.month_end_date = s.month_end_date
    left join opening as o
        on o.warehouse_entity_key = s.warehouse_entity_key and o.sku_entity_key = s.sku_entity_key
        and o.month_end_date = s.month_end_date
    left join carried as c
        on c.warehouse_entity_key = s.warehouse_entity_key and c.sku_entity_key = s.sku_entity_key
)

select
    b.month_end_date,
    b.warehouse_entity_key,
    b.sku_entity_key,
    p.product_key,
    cast(b.quantity_on_hand as bigint) as quantity_on_hand,
    cast(b.net_movement_quantity as bigint) as net_movement_quantity,
    b.movement_count,
    -- empty when no standard cost is in force: the stock is unvalued (docs/valuation.md)
    cast((b.quantity_on_hand * c.standard_cost) as numeric(18, 4)) as value_local,
    window_row.bronze_loaded_through,
    window_row.build_id
from balances as b
cross join window_row
left join "inventory"."silver"."dim_warehouse" as w
    on w.warehouse_entity_key = b.warehouse_entity_key
    and b.month_end_date >= w.effective_from and b.month_end_date < w.effective_to
left join "inventory"."silver"."dim_product" as p
    on p.sku_entity_key = b.sku_entity_key
    and b.month_end_date >= p.effective_from and b.month_end_date < p.effective_to
left join "inventory"."silver"."key_map_sku" as k
    on k.sku_entity_key = b.sku_entity_key
left join "inventory"."silver"."standard_cost_history" as c
    on c.sku_id = k.sku_id
    and c.currency_code = w.currency_code
    and b.month_end_date >= c.effective_from and b.month_end_date < c.effective_to
where b.quantity_on_hand <> 0 or b.movement_count > 0

    ) as model_subq
    );

create view "inventory"."silver"."fct_inventory_transactions_detail__dbt_tmp" as (
    

-- The whole ledger (hot and cold) with everything the lean fact leaves to the dimensions, the cost history
-- and Bronze: natural keys, category, currency, unit cost, reference_id and the row's source file, batch
-- and load time (docs/model_contracts.md "The lean ledger"). For audits, lookups and analysts who want
-- the wide row; aggregates over many rows read the fact and join the dimensions they need.
with ledger as (
    select * from "inventory"."silver"."fct_inventory_transactions_all_history"
),

bronze as (
    select _load_file_key, _source_row, reference_id, _batch_id, _source_file, _loaded_at from "inventory"."bronze"."inventory_transactions"
    union all
    select _load_file_key, _source_row, reference_id, _batch_id, _source_file, _loaded_at from "cold"."bronze_inventory_transactions"
),

streamed as (
    select
        transaction_id,
        source_lsn,
        reference_id,
        loaded_at,
        load_batch_id,
        stream_name,
        shard_id
    from "inventory"."silver"."cdc_inventory_transactions"
)

select
    f.transaction_id,
    f.event_ts,
    f.event_date,
    f.month_end_date,
    w.warehouse_id,
    f.warehouse_key,
    p.sku_id,
    f.product_key,
    p.category_code,
    f.movement_type,
    f.quantity,
    w.currency_code,
    c.standard_cost as unit_cost_local,
    f.extended_value_local,
    coalesce(b.reference_id, s.reference_id) as reference_id,
    coalesce(b._loaded_at, s.loaded_at) as loaded_at,
    coalesce(b._batch_id, s.load_batch_id) as source_batch_id,
    coalesce(b._source_file, 'kinesis:' || s.stream_name || '/' || s.shard_id) as source_file,
    f.load_file_key,
    f.source_row,
    f.source_lsn
from ledger as f
left join "inventory"."silver"."dim_warehouse" as w on w.warehouse_key = f.warehouse_key
left join "inventory"."silver"."dim_product" as p on p.product_key = f.product_key
left join "inventory"."silver"."standard_cost_history" as c
    on c.sku_id = p.sku_id
    and c.currency_code = w.currency_code
    and f.event_date >= c.effective_from
    and f.event_date < c.effective_to
left join bronze as b on b._load_file_key = f.load_file_key and b._source_row = f.source_row
left join streamed as s on s.transaction_id = f.transaction_id and s.source_lsn = f.source_lsn
  ) with no schema binding;

alter table "inventory"."silver"."fct_inventory_transactions_detail__dbt_tmp" rename to "fct_inventory_transactions_detail";

drop view if exists "inventory"."silver"."fct_inventory_transactions_detail__dbt_backup" cascade;

create view "inventory"."silver"."fct_inventory_snapshot_month_end_detail__dbt_tmp" as (
    

-- The month-end snapshot as a wide row: the lean snapshot's keys and measures with the warehouse and SKU
-- ids, the category of the product version in force at month end, the warehouse's currency, the unit
-- cost behind value_local and the value translated per row at the month-end closing rate
-- (docs/model_contracts.md "The lean snapshot"). For analysts and lookups; Gold reads the lean table and
-- translates per cell.
select
    s.month_end_date,
    (cast(extract(year from s.month_end_date) as integer) * 100 + cast(extract(month from s.month_end_date) as integer)) as month_key,
    w.warehouse_id,
    s.warehouse_entity_key,
    w.warehouse_key,
    p.sku_id,
    s.sku_entity_key,
    s.product_key,
    p.category_code,
    s.quantity_on_hand,
    s.net_movement_quantity,
    s.movement_count,
    w.currency_code,
    c.standard_cost as unit_cost_local,
    s.value_local,
    fx.month_end_usd_per_unit,
    cast((s.value_local * fx.month_end_usd_per_unit) as numeric(38, 12)) as value_usd,
    s.bronze_loaded_through,
    s.build_id
from "inventory"."silver"."fct_inventory_snapshot_month_end" as s
left join "inventory"."silver"."dim_warehouse" as w
    on w.warehouse_entity_key = s.warehouse_entity_key
    and s.month_end_date >= w.effective_from and s.month_end_date < w.effective_to
left join "inventory"."silver"."dim_product" as p
    on p.product_key = s.product_key
left join "inventory"."silver"."standard_cost_history" as c
    on c.sku_id = p.sku_id
    and c.currency_code = w.currency_code
    and s.month_end_date >= c.effective_from and s.month_end_date < c.effective_to
left join "inventory"."silver"."fx_rates_monthly" as fx
    on fx.currency_code = w.currency_code and fx.month_end_date = s.month_end_date
  ) with no schema binding;

alter table "inventory"."silver"."fct_inventory_snapshot_month_end_detail__dbt_tmp" rename to "fct_inventory_snapshot_month_end_detail";

drop view if exists "inventory"."silver"."fct_inventory_snapshot_month_end_detail__dbt_backup" cascade;

create  table
    "inventory"."gold"."gold_inventory_value_monthly"
    
  (
    month_end_date date,
    month_key integer,
    warehouse_id varchar,
    warehouse_name varchar(1024),
    region varchar,
    country_code varchar,
    category_code varchar,
    category_name varchar(1024),
    currency_code varchar,
    quantity_on_hand bigint,
    value_local numeric(38,2),
    value_usd numeric(38,2),
    value_constant_currency_usd numeric(38,2),
    prior_year_value_usd numeric(38,2),
    prior_year_quantity_on_hand bigint,
    yoy_change_usd numeric(38,2),
    yoy_pct double precision,
    is_like_for_like boolean,
    bronze_loaded_through timestamp,
    build_id integer
    
    )

    
    
    diststyle even
    
      compound sortkey(month_key,category_code);

insert into "inventory"."gold"."gold_inventory_value_monthly"
    (
      
    select month_end_date, month_key, warehouse_id, warehouse_name, region, country_code, category_code, category_name, currency_code, quantity_on_hand, value_local, value_usd, value_constant_currency_usd, prior_year_value_usd, prior_year_quantity_on_hand, yoy_change_usd, yoy_pct, is_like_for_like, bronze_loaded_through, build_id
    from (
        -- Redshift physical design: Read whole by trend queries: even distribution, sorted by month for period filters.
-- An incremental table on every engine, Redshift included: as a materialized view its outer joins and UNION
-- would force a full refresh of every cell on each refresh (docs/optimization/redshift_design.md).

-- Month-end inventory value per category x warehouse x month, with the prior year and YoY.
-- A cell exists when the category had stock or movement in the warehouse in the month or in the same
-- month a year earlier, so prior-year totals always equal the prior year's own totals.
-- Balances are semi-additive: sum across categories and warehouses within a month, never across months.
--
-- Incremental: a run rewrites the months the snapshot restated since the last run (rows of a newer
-- build_id: in a chunked pass, the chunk's months on; their prior-year
-- columns included, which are later months of the same suffix) and every month of a renamed category,
-- reading the snapshot for those months and the same months a year earlier; with nothing restated it
-- writes nothing.
-- The snapshot's rows per warehouse x category (the product version in force at month end) x month: a
-- hash join to dim_product on its key, then the cells (thousands a month) take the warehouse version in
-- force at month end (id, currency) and are translated to USD at that currency's closing rate. One
-- currency per cell, so translating the cell's sum equals summing per-row translations to the cent.
with rows_by_category as (
    select
        s.month_end_date,
        s.warehouse_entity_key,
        p.category_code,
        cast(sum(s.quantity_on_hand) as bigint) as quantity_on_hand,
        sum(s.value_local) as value_local,
        max(s.bronze_loaded_through) as bronze_loaded_through,
        max(s.build_id) as build_id
    from "inventory"."silver"."fct_inventory_snapshot_month_end" as s
    inner join "inventory"."silver"."dim_product" as p on p.product_key = s.product_key
    group by s.month_end_date, s.warehouse_entity_key, p.category_code
),

cells as (
    select
        r.month_end_date,
        (cast(extract(year from r.month_end_date) as integer) * 100 + cast(extract(month from r.month_end_date) as integer)) as month_key,
        w.warehouse_id,
        r.category_code,
        w.currency_code,
        r.quantity_on_hand,
        r.value_local,
        (r.value_local * fx.month_end_usd_per_unit) as value_usd,
        r.bronze_loaded_through,
        r.build_id
    from rows_by_category as r
    inner join "inventory"."silver"."dim_warehouse" as w
        on w.warehouse_entity_key = r.warehouse_entity_key
        and r.month_end_date >= w.effective_from and r.month_end_date < w.effective_to
    left join "inventory"."silver"."fx_rates_monthly" as fx
        on fx.currency_code = w.currency_code and fx.month_end_date = r.month_end_date
),

watermark as (
    select
        max(bronze_loaded_through) as bronze_loaded_through,
        max(build_id) as build_id
    from cells
),

months as (
    select distinct
        month_end_date,
        month_key
    from cells
),

grid as (
    select
        month_key,
        warehouse_id,
        category_code,
        currency_code
    from cells
    union
    select
        c.month_key + 100 as month_key,
        c.warehouse_id,
        c.category_code,
        c.currency_code
    from cells as c
    inner join months as m on m.month_key = c.month_key + 100
),

joined as (
    select
        m.month_end_date,
        g.month_key,
        g.warehouse_id,
        g.category_code,
        g.currency_code,
        coalesce(cur.quantity_on_hand, 0) as quantity_on_hand,
        coalesce(cur.value_local, 0) as value_local,
        coalesce(cur.value_usd, 0) as value_usd,
        py.value_usd as prior_year_value_usd,
        py.quantity_on_hand as prior_year_quantity_on_hand,
        (coalesce(cur.value_local, 0) * pyfx.month_end_usd_per_unit) as value_constant_currency_usd,
        pyfx.month_end_date as prior_year_month_end_date
    from grid as g
    inner join months as m on m.month_key = g.month_key
    left join cells as cur
        on cur.month_key = g.month_key and cur.warehouse_id = g.warehouse_id and cur.category_code = g.category_code
    left join cells as py
        on py.month_key = (g.month_key - 100)
        and py.warehouse_id = g.warehouse_id and py.category_code = g.category_code
    left join "inventory"."silver"."fx_rates_monthly" as pyfx
        on pyfx.currency_code = g.currency_code and pyfx.month_key = (g.month_key - 100)
)

select
    j.month_end_date,
    j.month_key,
    j.warehouse_id,
    w.warehouse_name,
    w.region,
    w.country_code,
    j.category_code,
    cat.category_name,
    j.currency_code,
    j.quantity_on_hand,
    cast(round(j.value_local, 2) as numeric(38, 2)) as value_local,
    cast(round(j.value_usd, 2) as numeric(38, 2)) as value_usd,
    cast(round(j.value_constant_currency_usd, 2) as numeric(38, 2)) as value_constant_currency_usd,
    cast(round(j.prior_year_value_usd, 2) as numeric(38, 2)) as prior_year_value_usd,
    j.prior_year_quantity_on_hand,
    cast(round(j.value_usd, 2) - round(j.prior_year_value_usd, 2) as numeric(38, 2)) as yoy_change_usd,
    case
        when round(j.prior_year_value_usd, 2) is null or round(j.prior_year_value_usd, 2) = 0 then null
        else cast((round(j.value_usd, 2)) - (round(j.prior_year_value_usd, 2)) as double precision) / cast(round(j.prior_year_value_usd, 2) as double precision) * 100
    end as yoy_pct,
    (
        w.open_date <= j.prior_year_month_end_date
        and (w.close_date is null or w.close_date > j.month_end_date)
    ) as is_like_for_like,
    watermark.bronze_loaded_through,
    watermark.build_id
from joined as j
cross join watermark
left join "inventory"."silver"."dim_warehouse" as w
    on w.warehouse_id = j.warehouse_id
    and j.month_end_date >= w.effective_from and j.month_end_date < w.effective_to
left join "inventory"."silver"."dim_category" as cat
    on cat.category_code = j.category_code
    ) as model_subq
    );

create materialized view "inventory"."gold"."gold_unvalued_stock_monthly"
        backup yes
        diststyle all
        
        sortkey (month_key,warehouse_id)
        auto refresh yes
    as (
        -- Redshift physical design: empty when every SKU has a cost; replicate everywhere, sorted by month.

-- Stock that Gold counts in quantity_on_hand but cannot value: units of SKUs with no standard cost in
-- force at the month end, per category x warehouse x month (docs/valuation.md). Gold's value is the
-- value of the valued stock; this table is the rest, so a reader sees "value + N units unvalued".
-- Empty when healthy; the check stock_without_standard_cost fails while it is not.
-- A row of the snapshot without value_local is stock with no cost in force (its quantity is never empty).
with unvalued as (
    select
        s.month_end_date,
        s.warehouse_entity_key,
        p.category_code,
        cast(sum(s.quantity_on_hand) as bigint) as unvalued_quantity_on_hand,
        count(distinct s.sku_entity_key) as unvalued_sku_count
    from "inventory"."silver"."fct_inventory_snapshot_month_end" as s
    inner join "inventory"."silver"."dim_product" as p on p.product_key = s.product_key
    where s.value_local is null and s.quantity_on_hand <> 0
    group by s.month_end_date, s.warehouse_entity_key, p.category_code
)

select
    u.month_end_date,
    (cast(extract(year from u.month_end_date) as integer) * 100 + cast(extract(month from u.month_end_date) as integer)) as month_key,
    w.warehouse_id,
    u.category_code,
    w.currency_code,
    u.unvalued_quantity_on_hand,
    u.unvalued_sku_count
from unvalued as u
inner join "inventory"."silver"."dim_warehouse" as w
    on w.warehouse_entity_key = u.warehouse_entity_key
    and u.month_end_date >= w.effective_from and u.month_end_date < w.effective_to
    );

drop materialized view if exists "inventory"."gold"."gold_unvalued_stock_monthly__dbt_backup" cascade;

drop materialized view if exists "inventory"."gold"."gold_unvalued_stock_monthly__dbt_tmp" cascade;

create materialized view "inventory"."gold"."gold_inventory_value_by_region"
        backup yes
        diststyle all
        
        sortkey (month_key,region)
        auto refresh yes
    as (
        -- Redshift physical design: hundreds of rows; replicate everywhere, sorted by month.

-- Month-end inventory value per region, rolled up from gold_inventory_value_monthly (the only source
-- of Gold values), with prior year, YoY and the like-for-like subset (warehouses open in both periods).
select
    month_end_date,
    month_key,
    region,
    cast(sum(quantity_on_hand) as bigint) as quantity_on_hand,
    cast(sum(value_usd) as numeric(38, 2)) as value_usd,
    cast(sum(value_constant_currency_usd) as numeric(38, 2)) as value_constant_currency_usd,
    cast(sum(prior_year_value_usd) as numeric(38, 2)) as prior_year_value_usd,
    cast(sum(value_usd) - sum(prior_year_value_usd) as numeric(38, 2)) as yoy_change_usd,
    case
        when sum(prior_year_value_usd) is null or sum(prior_year_value_usd) = 0 then null
        else cast((sum(value_usd)) - (sum(prior_year_value_usd)) as double precision) / cast(sum(prior_year_value_usd) as double precision) * 100
    end as yoy_pct,
    case
        when sum(prior_year_value_usd) is null or sum(prior_year_value_usd) = 0 then null
        else cast((sum(value_constant_currency_usd)) - (sum(prior_year_value_usd)) as double precision) / cast(sum(prior_year_value_usd) as double precision) * 100
    end as constant_currency_yoy_pct,
    cast(sum(case when is_like_for_like then value_usd else 0 end) as numeric(38, 2)) as like_for_like_value_usd,
    cast(sum(case when is_like_for_like then prior_year_value_usd else 0 end) as numeric(38, 2)) as like_for_like_prior_year_value_usd,
    count(distinct warehouse_id) as warehouses
from "inventory"."gold"."gold_inventory_value_monthly"
group by month_end_date, month_key, region
    );

drop materialized view if exists "inventory"."gold"."gold_inventory_value_by_region__dbt_backup" cascade;

drop materialized view if exists "inventory"."gold"."gold_inventory_value_by_region__dbt_tmp" cascade;

create materialized view "inventory"."gold"."gold_inventory_value_trend"
        backup yes
        diststyle all
        
        sortkey (month_key,scope)
        auto refresh yes
    as (
        -- Redshift physical design: a few thousand rows; replicate everywhere, sorted by month.

-- The executive trend: month-end inventory value for the whole company (scope TOTAL) and per category
-- (scope = category code), for every month that has a prior year to compare with (36 months of a
-- 4-year history). Rolled up from gold_inventory_value_monthly, the only source of Gold values.
with months as (
    select distinct month_key from "inventory"."gold"."gold_inventory_value_monthly"
),

-- Distinct months joined, not Gold rows: rows per month (categories x warehouses) squared would
-- make this join grow with the square of the network (25,000 rows a month at 500 warehouses).
comparable_months as (
    select cur.month_key
    from months as cur
    inner join months as py on py.month_key = (cur.month_key - 100)
),

scoped as (
    select
        month_end_date,
        month_key,
        cast('TOTAL' as varchar) as scope,
        cast('All categories' as varchar) as scope_name,
        value_usd,
        value_constant_currency_usd,
        prior_year_value_usd,
        quantity_on_hand
    from "inventory"."gold"."gold_inventory_value_monthly"
    union all
    select
        month_end_date,
        month_key,
        category_code,
        category_name,
        value_usd,
        value_constant_currency_usd,
        prior_year_value_usd,
        quantity_on_hand
    from "inventory"."gold"."gold_inventory_value_monthly"
)

select
    s.month_end_date,
    s.month_key,
    s.scope,
    max(s.scope_name) as scope_name,
    cast(sum(s.quantity_on_hand) as bigint) as quantity_on_hand,
    cast(sum(s.value_usd) as numeric(38, 2)) as value_usd,
    cast(sum(s.value_constant_currency_usd) as numeric(38, 2)) as value_constant_currency_usd,
    cast(sum(s.prior_year_value_usd) as numeric(38, 2)) as prior_year_value_usd,
    cast(sum(s.value_usd) - sum(s.prior_year_value_usd) as numeric(38, 2)) as yoy_change_usd,
    case
        when sum(s.prior_year_value_usd) is null or sum(s.prior_year_value_usd) = 0 then null
        else cast((sum(s.value_usd)) - (sum(s.prior_year_value_usd)) as double precision) / cast(sum(s.prior_year_value_usd) as double precision) * 100
    end as yoy_pct,
    case
        when sum(s.prior_year_value_usd) is null or sum(s.prior_year_value_usd) = 0 then null
        else cast((sum(s.value_constant_currency_usd)) - (sum(s.prior_year_value_usd)) as double precision) / cast(sum(s.prior_year_value_usd) as double precision) * 100
    end as constant_currency_yoy_pct
from scoped as s
inner join comparable_months as m on m.month_key = s.month_key
group by s.month_end_date, s.month_key, s.scope
    );

drop materialized view if exists "inventory"."gold"."gold_inventory_value_trend__dbt_backup" cascade;

drop materialized view if exists "inventory"."gold"."gold_inventory_value_trend__dbt_tmp" cascade;

create  table
    "inventory"."silver"."int_ledger_chunk_done"
    
  (
    build_id integer
    
    )

    
    
    diststyle all;

insert into "inventory"."silver"."int_ledger_chunk_done"
    (
      
    select build_id
    from (
        -- Redshift physical design: a few rows a day, read once an invocation: copied to every node.

-- The chunks of the ledger's passes that completed (docs/late_arriving.md "Chunks"): the newest window's
-- build_id, appended once the ledger, the rejects, the snapshot and Gold monthly rebuilt its days and
-- their tests passed; dbt skips this model when any of them failed, so the chunk is not counted as
-- applied and int_ledger_restate_window restates it again.
-- depends_on: "inventory"."silver"."fct_inventory_transactions", "inventory"."silver"."transaction_rejects"
-- depends_on: "inventory"."silver"."fct_inventory_snapshot_month_end", "inventory"."gold"."gold_inventory_value_monthly"
select w.build_id
from "inventory"."silver"."int_ledger_restate_window" as w
where w.build_id = (select max(build_id) from "inventory"."silver"."int_ledger_restate_window")
    ) as model_subq
    );

CREATE EXTERNAL SCHEMA IF NOT EXISTS kinesis_cdc
FROM KINESIS
IAM_ROLE 'arn:aws:iam::123456789012:role/inventory-redshift-streaming';

CREATE MATERIALIZED VIEW bronze.cdc_events
DISTSTYLE KEY DISTKEY(partition_key) SORTKEY(approximate_arrival_timestamp)
AUTO REFRESH YES AS
SELECT
    CAST('inventory-cdc-clean' AS VARCHAR(128)) AS stream_name,
    shard_id,
    sequence_number,
    partition_key,
    approximate_arrival_timestamp,
    JSON_PARSE(kinesis_data) AS payload,
    refresh_time AS _loaded_at,
    CAST(refresh_time AS VARCHAR(32)) AS _batch_id
FROM kinesis_cdc."inventory-cdc-clean"
WHERE CAN_JSON_PARSE(kinesis_data);

CREATE EXTERNAL SCHEMA IF NOT EXISTS cold
FROM DATA CATALOG DATABASE 'inventory_cold'
IAM_ROLE 'arn:aws:iam::123456789012:role/inventory-redshift-lake'
CREATE EXTERNAL DATABASE IF NOT EXISTS;

CREATE EXTERNAL TABLE cold.fct_inventory_transactions (
    transaction_id BIGINT,
    event_ts TIMESTAMP,
    event_date DATE,
    month_end_date DATE,
    warehouse_key INTEGER,
    product_key INTEGER,
    movement_type VARCHAR(32),
    quantity BIGINT,
    transfer_id VARCHAR(256),
    extended_value_local DECIMAL(18, 4),
    load_file_key BIGINT,
    source_row BIGINT,
    source_lsn BIGINT,
    offload_id VARCHAR(64)
)
PARTITIONED BY (year INT, month INT)
STORED AS PARQUET
LOCATION 's3://inventory-lake-123456789012/cold/fct_inventory_transactions/';

CREATE EXTERNAL TABLE cold.bronze_inventory_transactions (
    transaction_id BIGINT,
    event_ts TIMESTAMP,
    warehouse_id VARCHAR(64),
    sku_id VARCHAR(64),
    movement_type VARCHAR(32),
    quantity BIGINT,
    reference_id VARCHAR(256),
    _batch_id VARCHAR(256),
    _source_file VARCHAR(1024),
    _source_row BIGINT,
    _loaded_at TIMESTAMP,
    _row_hash VARCHAR(64),
    _load_file_key BIGINT,
    offload_id VARCHAR(64)
)
PARTITIONED BY (year INT, month INT)
STORED AS PARQUET
LOCATION 's3://inventory-lake-123456789012/cold/bronze_inventory_transactions/';

CREATE TABLE IF NOT EXISTS silver.cold_tier_partitions (
    table_name VARCHAR(64) NOT NULL,
    year INTEGER NOT NULL,
    month INTEGER NOT NULL,
    offload_id VARCHAR(64) NOT NULL,
    cutoff_date DATE NOT NULL,
    row_count BIGINT NOT NULL,
    quantity_sum BIGINT NOT NULL,
    value_sum DECIMAL(38, 4),
    offloaded_at TIMESTAMP NOT NULL
)
DISTSTYLE ALL
SORTKEY (table_name, year, month);

UNLOAD ('SELECT transaction_id, event_ts, event_date, month_end_date, warehouse_key, product_key, movement_type, quantity, transfer_id, extended_value_local, load_file_key, source_row, source_lsn, ''20261203T080000-1a2b3c4d'' AS offload_id, CAST(EXTRACT(YEAR FROM event_date) AS INT) AS year, CAST(EXTRACT(MONTH FROM event_date) AS INT) AS month FROM silver.fct_inventory_transactions WHERE event_date < ''2022-12-01''')
TO 's3://inventory-lake-123456789012/cold/fct_inventory_transactions/offload=20261203T080000-1a2b3c4d/'
IAM_ROLE 'arn:aws:iam::123456789012:role/inventory-redshift-lake'
FORMAT AS PARQUET
PARTITION BY (year, month);

UNLOAD ('SELECT b.transaction_id, b.event_ts, b.warehouse_id, b.sku_id, b.movement_type, b.quantity, b.reference_id, b._batch_id, b._source_file, b._source_row, b._loaded_at, b._row_hash, b._load_file_key, ''20261203T080000-1a2b3c4d'' AS offload_id, CAST(EXTRACT(YEAR FROM b.event_ts) AS INT) AS year, CAST(EXTRACT(MONTH FROM b.event_ts) AS INT) AS month FROM bronze.inventory_transactions AS b WHERE b.transaction_id IN (SELECT f.transaction_id FROM silver.fct_inventory_transactions AS f WHERE f.event_date < ''2022-12-01'')')
TO 's3://inventory-lake-123456789012/cold/bronze_inventory_transactions/offload=20261203T080000-1a2b3c4d/'
IAM_ROLE 'arn:aws:iam::123456789012:role/inventory-redshift-lake'
FORMAT AS PARQUET
PARTITION BY (year, month);

ALTER TABLE cold.fct_inventory_transactions
ADD IF NOT EXISTS PARTITION (year = 2022, month = 11)
LOCATION 's3://inventory-lake-123456789012/cold/fct_inventory_transactions/offload=20261203T080000-1a2b3c4d/year=2022/month=11/';

ALTER TABLE cold.bronze_inventory_transactions
ADD IF NOT EXISTS PARTITION (year = 2022, month = 11)
LOCATION 's3://inventory-lake-123456789012/cold/bronze_inventory_transactions/offload=20261203T080000-1a2b3c4d/year=2022/month=11/';

SELECT COALESCE(h.year, c.year) AS year, COALESCE(h.month, c.month) AS month, h.n AS hot_rows, c.n AS cold_rows
FROM (
    SELECT CAST(EXTRACT(YEAR FROM event_date) AS INT) AS year, CAST(EXTRACT(MONTH FROM event_date) AS INT) AS month,
           COUNT(*) AS n, SUM(quantity) AS q, SUM(extended_value_local) AS v
    FROM silver.fct_inventory_transactions WHERE event_date < '2022-12-01' GROUP BY 1, 2
) AS h
FULL OUTER JOIN (
    SELECT year, month, COUNT(*) AS n, SUM(quantity) AS q, SUM(extended_value_local) AS v
    FROM cold.fct_inventory_transactions WHERE offload_id = '20261203T080000-1a2b3c4d' GROUP BY 1, 2
) AS c ON c.year = h.year AND c.month = h.month
WHERE h.n IS DISTINCT FROM c.n OR h.q IS DISTINCT FROM c.q OR h.v IS DISTINCT FROM c.v;

BEGIN;

INSERT INTO silver.cold_tier_partitions
SELECT 'fct_inventory_transactions', CAST(EXTRACT(YEAR FROM event_date) AS INT), CAST(EXTRACT(MONTH FROM event_date) AS INT),
       '20261203T080000-1a2b3c4d', CAST('2022-12-01' AS DATE), COUNT(*), SUM(quantity), SUM(extended_value_local), GETDATE()
FROM silver.fct_inventory_transactions
WHERE event_date < '2022-12-01'
GROUP BY 2, 3;

INSERT INTO silver.cold_tier_partitions
SELECT 'bronze_inventory_transactions', CAST(EXTRACT(YEAR FROM b.event_ts) AS INT), CAST(EXTRACT(MONTH FROM b.event_ts) AS INT),
       '20261203T080000-1a2b3c4d', CAST('2022-12-01' AS DATE), COUNT(*), SUM(b.quantity), NULL, GETDATE()
FROM bronze.inventory_transactions AS b
WHERE b.transaction_id IN (SELECT f.transaction_id FROM silver.fct_inventory_transactions AS f WHERE f.event_date < '2022-12-01')
GROUP BY 2, 3;

DELETE FROM bronze.inventory_transactions
WHERE transaction_id IN (SELECT transaction_id FROM silver.fct_inventory_transactions WHERE event_date < '2022-12-01');

DELETE FROM silver.fct_inventory_transactions WHERE event_date < '2022-12-01';

COMMIT;

-- Later runs of incremental model cdc_inventory_transactions (the table exists): the SELECT whose rows replace the
-- restated days or months (its incremental strategy deletes those, then inserts these rows).
-- Redshift physical design: streamed movements (a small fraction of the ledger) distributed like the ledger on
-- sku_id and sorted by the source log position, the order changes arrive in.

-- The streamed inventory transactions as the source holds them now: per transaction_id the change
-- with the highest lsn (last writer wins), redeliveries collapsed; deletes are kept as tombstones
-- (is_deleted) because they also remove a batch-loaded row with the same id from the ledger.
-- Incremental (cdc_merge_state): a run merges the events Bronze loaded since the last one.
with cdc_events as (
        select
            cast(payload."event_id" as varchar) as event_id,
            cast(payload."op" as varchar) as op,
            cast(payload."source"."lsn" as bigint) as source_lsn,
            cast(payload."source"."ts_ms" as bigint) as source_ts_ms,
            coalesce(cast(payload."after"."transaction_id" as bigint), cast(payload."before"."transaction_id" as bigint)) as transaction_id,
            cast(replace(replace(coalesce(cast(payload."after"."event_ts" as varchar), cast(payload."before"."event_ts" as varchar)), 'T', ' '), 'Z', '') as timestamp) as event_ts,
            coalesce(cast(payload."after"."warehouse_id" as varchar), cast(payload."before"."warehouse_id" as varchar)) as warehouse_id,
            coalesce(cast(payload."after"."sku_id" as varchar), cast(payload."before"."sku_id" as varchar)) as sku_id,
            coalesce(cast(payload."after"."movement_type" as varchar), cast(payload."before"."movement_type" as varchar)) as movement_type,
            coalesce(cast(payload."after"."quantity" as bigint), cast(payload."before"."quantity" as bigint)) as quantity,
            coalesce(cast(payload."after"."reference_id" as varchar), cast(payload."before"."reference_id" as varchar)) as reference_id,
            stream_name,
            shard_id,
            sequence_number,
            approximate_arrival_timestamp,
            _loaded_at,
            _batch_id
        from "inventory"."bronze"."cdc_events"
        where cast(payload."source"."table" as varchar) = 'inventory_transactions'
    ),

    cdc_deliveries as (
        select
            cdc_events.*,
            row_number() over (
                partition by transaction_id, source_lsn
                order by approximate_arrival_timestamp, shard_id, sequence_number
            ) as delivery_rank
        from cdc_events
    ),

    cdc_changes as (
        select * from cdc_deliveries where delivery_rank = 1
    ),

latest as (
    select * from (
        select
            changes.*,
            row_number() over (partition by transaction_id order by source_lsn desc) as lsn_rank
        from cdc_changes as changes
    ) as ranked
    where lsn_rank = 1
),

changed as (
    select
        transaction_id,
        event_ts,
        warehouse_id,
        sku_id,
        movement_type,
        quantity,
        reference_id,
        event_id,
        op = 'd' as is_deleted,
        op as last_op,
        source_lsn,
        (cast('1970-01-01' as timestamp) + (source_ts_ms / 1000.0) * interval '1 second') as source_committed_at,
        stream_name,
        shard_id,
        sequence_number,
        approximate_arrival_timestamp as arrived_at,
        _loaded_at as loaded_at,
        _batch_id as load_batch_id
    from latest
)


    select transaction_id, event_ts, warehouse_id, sku_id, movement_type, quantity, reference_id, event_id, is_deleted, last_op, source_lsn, source_committed_at, stream_name, shard_id, sequence_number, arrived_at, loaded_at, load_batch_id
    from (
        select
            candidates.*,
            row_number() over (
                partition by transaction_id
                order by source_lsn desc, arrived_at, shard_id, sequence_number
            ) as state_rank
        from (
            select transaction_id, event_ts, warehouse_id, sku_id, movement_type, quantity, reference_id, event_id, is_deleted, last_op, source_lsn, source_committed_at, stream_name, shard_id, sequence_number, arrived_at, loaded_at, load_batch_id from changed
            union all
            select stored.transaction_id, stored.event_ts, stored.warehouse_id, stored.sku_id, stored.movement_type, stored.quantity, stored.reference_id, stored.event_id, stored.is_deleted, stored.last_op, stored.source_lsn, stored.source_committed_at, stored.stream_name, stored.shard_id, stored.sequence_number, stored.arrived_at, stored.loaded_at, stored.load_batch_id
            from "inventory"."silver"."cdc_inventory_transactions" as stored
            inner join (select distinct transaction_id from changed) as touched
                on touched.transaction_id = stored.transaction_id
        ) as candidates
    ) as ranked
    where state_rank = 1;

-- Later runs of incremental model fct_inventory_snapshot_month_end (the table exists): the SELECT whose rows replace the
-- restated days or months (its incremental strategy deletes those, then inserts these rows).
-- Redshift physical design: Distributed on the SKU's entity key, so a pair's months are on one slice for the
-- running balance; sorted by month end for period scans and for the month-range delete of each restatement.

-- Periodic snapshot: stock on hand per warehouse x SKU at each month end, from the opening balance
-- plus the ledger's net movements. A pair appears from its first month with stock or movement;
-- months with neither stock nor movement are not stored (no densification). Valued with the standard
-- cost in force at month end in the warehouse's currency; Gold translates to USD per cell. Lean: integer
-- entity keys (the pair's identity across versions), the product version in force at month end (Gold's
-- category) and measures, written in (month end, warehouse, SKU) order; the wide row with names,
-- currency, unit cost and USD is fct_inventory_snapshot_month_end_detail (docs/model_contracts.md).
--
-- Incremental (docs/late_arriving.md): a run restates whole months of the ledger's window
-- (int_ledger_restate_window: the earliest month any Bronze row loaded since the last complete pass
-- affects, up to the chunk's end), deletes every later month and leaves earlier months untouched: a
-- restated month's balance = the balance at the last month end before it (read from this table) + its
-- net movements. With nothing new loaded the run writes nothing; a first run or --full-refresh builds
-- the window's months from the first.
with window_row as (
    select
        build_id,
        bronze_loaded_through
    from "inventory"."silver"."int_ledger_restate_window"
    where build_id = (select max(build_id) from "inventory"."silver"."int_ledger_restate_window")
),

-- The lean ledger holds version keys: summed per key, then mapped to the warehouse's and SKU's entity keys.
-- Hot and cold ledger: a full rebuild needs every month (docs/architecture/cold_tier.md).
movements as (
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
        from "inventory"."silver"."fct_inventory_transactions_all_history"
        where month_end_date >= cast(
    cast(
        

    dateadd(
        day,
        -1,
        

    dateadd(
        month,
        1,
        date_trunc('month', cast('1900-01-01' as date))
        )


        )


        as date)
 as date)
        group by warehouse_key, product_key, month_end_date
    ) as v
    inner join "inventory"."silver"."dim_warehouse" as w on w.warehouse_key = v.warehouse_key
    inner join "inventory"."silver"."dim_product" as p on p.product_key = v.product_key
    group by w.warehouse_entity_key, p.sku_entity_key, v.month_end_date
),

-- An opening balance of an id no key map holds keeps a null key, so the not_null tests name it.
opening as (
    select
        w.warehouse_entity_key,
        k.sku_entity_key,
        cast(
    cast(
        

    dateadd(
        day,
        -1,
        

    dateadd(
        month,
        1,
        date_trunc('month', o.as_of_date)
        )


        )


        as date)
 as date) as month_end_date,
        o.quantity_on_hand
    from "inventory"."silver"."opening_balances" as o
    left join "inventory"."silver"."key_map_warehouse" as w on w.warehouse_id = o.warehouse_id
    left join "inventory"."silver"."key_map_sku" as k on k.sku_id = o.sku_id
    where cast(
    cast(
        

    dateadd(
        day,
        -1,
        

    dateadd(
        month,
        1,
        date_trunc('month', o.as_of_date)
        )


        )


        as date)
 as date) >= cast(
    cast(
        

    dateadd(
        day,
        -1,
        

    dateadd(
        month,
        1,
        date_trunc('month', cast('1900-01-01' as date))
        )


        )


        as date)
 as date)
),

-- Balances carried into the first restated month: the last stored month end before it. A pair
-- without a row there had nothing on hand (a non-zero balance is stored every month).
carried as (
    
    select
        warehouse_entity_key,
        sku_entity_key,
        quantity_on_hand
    from "inventory"."silver"."fct_inventory_snapshot_month_end"
    where month_end_date = (
        select max(month_end_date) from "inventory"."silver"."fct_inventory_snapshot_month_end"
        where month_end_date < cast(
    cast(
        

    dateadd(
        day,
        -1,
        

    dateadd(
        month,
        1,
        date_trunc('month', cast('1900-01-01' as date))
        )


        )


        as date)
 as date)
    )
    
),

last_month as (
    select max(month_end_date) as month_end_date from movements
),

month_ends as (
    select distinct month_end_date from movements
    union
    select distinct month_end_date from opening
),

pair_start as (
    select
        warehouse_entity_key,
        sku_entity_key,
        min(month_end_date) as first_month_end
    from (
        select
            warehouse_entity_key,
            sku_entity_key,
            month_end_date
        from movements
        union all
        select
            warehouse_entity_key,
            sku_entity_key,
            month_end_date
        from opening
        union all
        select
            warehouse_entity_key,
            sku_entity_key,
            (select min(month_end_date) from month_ends) as month_end_date
        from carried
    ) as activity
    group by warehouse_entity_key, sku_entity_key
),

spine as (
    select
        p.warehouse_entity_key,
        p.sku_entity_key,
        m.month_end_date
    from pair_start as p
    inner join month_ends as m
        on m.month_end_date >= p.first_month_end
    cross join last_month
    where m.month_end_date <= last_month.month_end_date
),

balances as (
    select
        s.warehouse_entity_key,
        s.sku_entity_key,
        s.month_end_date,
        coalesce(mv.net_quantity, 0) as net_movement_quantity,
        coalesce(mv.movement_count, 0) as movement_count,
        coalesce(c.quantity_on_hand, 0) + sum(coalesce(mv.net_quantity, 0) + coalesce(o.quantity_on_hand, 0)) over (
            partition by s.warehouse_entity_key, s.sku_entity_key
            order by s.month_end_date
            rows between unbounded preceding and current row
        ) as quantity_on_hand
    from spine as s
    left join movements as mv
        on mv.warehouse_entity_key = s.warehouse_entity_key and mv.sku_entity_key = s.sku_entity_key
        and mv.month_end_date = s.month_end_date
    left join opening as o
        on o.warehouse_entity_key = s.warehouse_entity_key and o.sku_entity_key = s.sku_entity_key
        and o.month_end_date = s.month_end_date
    left join carried as c
        on c.warehouse_entity_key = s.warehouse_entity_key and c.sku_entity_key = s.sku_entity_key
)

select
    b.month_end_date,
    b.warehouse_entity_key,
    b.sku_entity_key,
    p.product_key,
    cast(b.quantity_on_hand as bigint) as quantity_on_hand,
    cast(b.net_movement_quantity as bigint) as net_movement_quantity,
    b.movement_count,
    -- empty when no standard cost is in force: the stock is unvalued (docs/valuation.md)
    cast((b.quantity_on_hand * c.standard_cost) as numeric(18, 4)) as value_local,
    window_row.bronze_loaded_through,
    window_row.build_id
from balances as b
cross join window_row
left join "inventory"."silver"."dim_warehouse" as w
    on w.warehouse_entity_key = b.warehouse_entity_key
    and b.month_end_date >= w.effective_from and b.month_end_date < w.effective_to
left join "inventory"."silver"."dim_product" as p
    on p.sku_entity_key = b.sku_entity_key
    and b.month_end_date >= p.effective_from and b.month_end_date < p.effective_to
left join "inventory"."silver"."key_map_sku" as k
    on k.sku_entity_key = b.sku_entity_key
left join "inventory"."silver"."standard_cost_history" as c
    on c.sku_id = k.sku_id
    and c.currency_code = w.currency_code
    and b.month_end_date >= c.effective_from and b.month_end_date < c.effective_to
where b.quantity_on_hand <> 0 or b.movement_count > 0;

-- Later runs of incremental model fct_inventory_transactions (the table exists): the SELECT whose rows replace the
-- restated days or months (its incremental strategy deletes those, then inserts these rows).
-- Redshift physical design: Billions of rows: distributed on product_key (versions of 100K SKUs, an even spread),
-- sorted by event date (then transaction id, the order each chunk writes) so daily increments and month ranges
-- scan only their blocks.

-- The inventory ledger at movement grain: one row per source movement, deduplicated by
-- transaction_id, with the product and warehouse versions in force on the event date.
-- Lean (docs/model_contracts.md "The lean ledger"): integer version keys, measures, dates and a lineage
-- pointer (load_file_key, source_row) into bronze.load_log and Bronze; natural keys, category, currency,
-- unit cost, reference_id (kept as transfer_id on transfer legs) and the source file come back through
-- fct_inventory_transactions_detail.
--
-- Incremental (docs/late_arriving.md): a run replaces the days int_ledger_restate_window restates with
-- the resolved rows of int_ledger_resolved, which resolves only those days; with nothing new it writes
-- nothing. A first run or --full-refresh builds the whole ledger (with its window).

select
    r.transaction_id,
    r.event_ts,
    r.event_date,
    cast(
    cast(
        

    dateadd(
        day,
        -1,
        

    dateadd(
        month,
        1,
        date_trunc('month', r.event_date)
        )


        )


        as date)
 as date) as month_end_date,
    r.warehouse_key,
    r.product_key,
    r.movement_type,
    r.quantity,
    -- the transfer's id on its two legs only (about 1% of rows): the transfers check reads the fact alone
    case when r.movement_type in ('TRANSFER_OUT', 'TRANSFER_IN') then r.reference_id end as transfer_id,
    r.extended_value_local,
    r.load_file_key,
    r.source_row,
    r.source_lsn,
    w.bronze_loaded_through,
    w.build_id
from "inventory"."silver"."int_ledger_resolved" as r
inner join "inventory"."silver"."int_ledger_restate_window" as w
    on w.build_id = (select max(build_id) from "inventory"."silver"."int_ledger_restate_window")
where r.reject_reason is null;

-- Later runs of incremental model gold_inventory_value_monthly (the table exists): the SELECT whose rows replace the
-- restated days or months (its incremental strategy deletes those, then inserts these rows).
-- Redshift physical design: Read whole by trend queries: even distribution, sorted by month for period filters.
-- An incremental table on every engine, Redshift included: as a materialized view its outer joins and UNION
-- would force a full refresh of every cell on each refresh (docs/optimization/redshift_design.md).

-- Month-end inventory value per category x warehouse x month, with the prior year and YoY.
-- A cell exists when the category had stock or movement in the warehouse in the month or in the same
-- month a year earlier, so prior-year totals always equal the prior year's own totals.
-- Balances are semi-additive: sum across categories and warehouses within a month, never across months.
--
-- Incremental: a run rewrites the months the snapshot restated since the last run (rows of a newer
-- build_id: in a chunked pass, the chunk's months on; their prior-year
-- columns included, which are later months of the same suffix) and every month of a renamed category,
-- reading the snapshot for those months and the same months a year earlier; with nothing restated it
-- writes nothing.
-- The snapshot's rows per warehouse x category (the product version in force at month end) x month: a
-- hash join to dim_product on its key, then the cells (thousands a month) take the warehouse version in
-- force at month end (id, currency) and are translated to USD at that currency's closing rate. One
-- currency per cell, so translating the cell's sum equals summing per-row translations to the cent.
with rows_by_category as (
    select
        s.month_end_date,
        s.warehouse_entity_key,
        p.category_code,
        cast(sum(s.quantity_on_hand) as bigint) as quantity_on_hand,
        sum(s.value_local) as value_local,
        max(s.bronze_loaded_through) as bronze_loaded_through,
        max(s.build_id) as build_id
    from "inventory"."silver"."fct_inventory_snapshot_month_end" as s
    inner join "inventory"."silver"."dim_product" as p on p.product_key = s.product_key
    -- the restated months and their prior-year months, not the eleven months between: two months of
    -- the snapshot for a daily run, not thirteen
    where s.month_end_date >= cast('1900-01-01' as date)
       or (s.month_end_date >= 

    dateadd(
        year,
        -1,
        date_trunc('month', cast('1900-01-01' as date))
        )


           and s.month_end_date < (
               select 

    dateadd(
        month,
        1,
        

    dateadd(
        year,
        -1,
        date_trunc('month', max(month_end_date))
        )


        )


               from "inventory"."silver"."fct_inventory_snapshot_month_end"))
    group by s.month_end_date, s.warehouse_entity_key, p.category_code
),

cells as (
    select
        r.month_end_date,
        (cast(extract(year from r.month_end_date) as integer) * 100 + cast(extract(month from r.month_end_date) as integer)) as month_key,
        w.warehouse_id,
        r.category_code,
        w.currency_code,
        r.quantity_on_hand,
        r.value_local,
        (r.value_local * fx.month_end_usd_per_unit) as value_usd,
        r.bronze_loaded_through,
        r.build_id
    from rows_by_category as r
    inner join "inventory"."silver"."dim_warehouse" as w
        on w.warehouse_entity_key = r.warehouse_entity_key
        and r.month_end_date >= w.effective_from and r.month_end_date < w.effective_to
    left join "inventory"."silver"."fx_rates_monthly" as fx
        on fx.currency_code = w.currency_code and fx.month_end_date = r.month_end_date
),

watermark as (
    select
        max(bronze_loaded_through) as bronze_loaded_through,
        max(build_id) as build_id
    from cells
),

months as (
    select distinct
        month_end_date,
        month_key
    from cells
),

grid as (
    select
        month_key,
        warehouse_id,
        category_code,
        currency_code
    from cells
    union
    select
        c.month_key + 100 as month_key,
        c.warehouse_id,
        c.category_code,
        c.currency_code
    from cells as c
    inner join months as m on m.month_key = c.month_key + 100
),

joined as (
    select
        m.month_end_date,
        g.month_key,
        g.warehouse_id,
        g.category_code,
        g.currency_code,
        coalesce(cur.quantity_on_hand, 0) as quantity_on_hand,
        coalesce(cur.value_local, 0) as value_local,
        coalesce(cur.value_usd, 0) as value_usd,
        py.value_usd as prior_year_value_usd,
        py.quantity_on_hand as prior_year_quantity_on_hand,
        (coalesce(cur.value_local, 0) * pyfx.month_end_usd_per_unit) as value_constant_currency_usd,
        pyfx.month_end_date as prior_year_month_end_date
    from grid as g
    inner join months as m on m.month_key = g.month_key
    left join cells as cur
        on cur.month_key = g.month_key and cur.warehouse_id = g.warehouse_id and cur.category_code = g.category_code
    left join cells as py
        on py.month_key = (g.month_key - 100)
        and py.warehouse_id = g.warehouse_id and py.category_code = g.category_code
    left join "inventory"."silver"."fx_rates_monthly" as pyfx
        on pyfx.currency_code = g.currency_code and pyfx.month_key = (g.month_key - 100)
)

select
    j.month_end_date,
    j.month_key,
    j.warehouse_id,
    w.warehouse_name,
    w.region,
    w.country_code,
    j.category_code,
    cat.category_name,
    j.currency_code,
    j.quantity_on_hand,
    cast(round(j.value_local, 2) as numeric(38, 2)) as value_local,
    cast(round(j.value_usd, 2) as numeric(38, 2)) as value_usd,
    cast(round(j.value_constant_currency_usd, 2) as numeric(38, 2)) as value_constant_currency_usd,
    cast(round(j.prior_year_value_usd, 2) as numeric(38, 2)) as prior_year_value_usd,
    j.prior_year_quantity_on_hand,
    cast(round(j.value_usd, 2) - round(j.prior_year_value_usd, 2) as numeric(38, 2)) as yoy_change_usd,
    case
        when round(j.prior_year_value_usd, 2) is null or round(j.prior_year_value_usd, 2) = 0 then null
        else cast((round(j.value_usd, 2)) - (round(j.prior_year_value_usd, 2)) as double precision) / cast(round(j.prior_year_value_usd, 2) as double precision) * 100
    end as yoy_pct,
    (
        w.open_date <= j.prior_year_month_end_date
        and (w.close_date is null or w.close_date > j.month_end_date)
    ) as is_like_for_like,
    watermark.bronze_loaded_through,
    watermark.build_id
from joined as j
cross join watermark
left join "inventory"."silver"."dim_warehouse" as w
    on w.warehouse_id = j.warehouse_id
    and j.month_end_date >= w.effective_from and j.month_end_date < w.effective_to
left join "inventory"."silver"."dim_category" as cat
    on cat.category_code = j.category_code
where j.month_key >= (cast(extract(year from cast('1900-01-01' as date)) as integer) * 100 + cast(extract(month from cast('1900-01-01' as date)) as integer));

-- Later runs of incremental model int_cdc_stock_levels_state (the table exists): the SELECT whose rows replace the
-- restated days or months (its incremental strategy deletes those, then inserts these rows).
-- Redshift physical design: one row per warehouse x SKU, read whole by stock_levels_current and cdc_rejects,
-- so distributed on sku_id like them.

-- Stock levels as the source holds them now, deletes included: per warehouse x SKU the change with the
-- highest lsn, redeliveries collapsed. Incremental (cdc_merge_state): a run merges the events Bronze loaded
-- since the last one. stock_levels_current applies it against the conformed dimensions; cdc_rejects lists
-- what they do not know.
with cdc_events as (
        select
            cast(payload."event_id" as varchar) as event_id,
            cast(payload."op" as varchar) as op,
            cast(payload."source"."lsn" as bigint) as source_lsn,
            cast(payload."source"."ts_ms" as bigint) as source_ts_ms,
            coalesce(cast(payload."after"."warehouse_id" as varchar), cast(payload."before"."warehouse_id" as varchar)) as warehouse_id,
            coalesce(cast(payload."after"."sku_id" as varchar), cast(payload."before"."sku_id" as varchar)) as sku_id,
            coalesce(cast(payload."after"."quantity_on_hand" as bigint), cast(payload."before"."quantity_on_hand" as bigint)) as quantity_on_hand,
            coalesce(cast(payload."after"."unit_of_measure" as varchar), cast(payload."before"."unit_of_measure" as varchar)) as unit_of_measure,
            coalesce(cast(payload."after"."currency_code" as varchar), cast(payload."before"."currency_code" as varchar)) as currency_code,
            cast(replace(replace(coalesce(cast(payload."after"."updated_at" as varchar), cast(payload."before"."updated_at" as varchar)), 'T', ' '), 'Z', '') as timestamp) as updated_at,
            stream_name,
            shard_id,
            sequence_number,
            approximate_arrival_timestamp,
            _loaded_at,
            _batch_id
        from "inventory"."bronze"."cdc_events"
        where cast(payload."source"."table" as varchar) = 'stock_levels'
    ),

    cdc_deliveries as (
        select
            cdc_events.*,
            row_number() over (
                partition by warehouse_id, sku_id, source_lsn
                order by approximate_arrival_timestamp, shard_id, sequence_number
            ) as delivery_rank
        from cdc_events
    ),

    cdc_changes as (
        select * from cdc_deliveries where delivery_rank = 1
    ),

latest as (
    select * from (
        select
            changes.*,
            row_number() over (partition by warehouse_id, sku_id order by source_lsn desc) as lsn_rank
        from cdc_changes as changes
    ) as ranked
    where lsn_rank = 1
),

changed as (
    select
        warehouse_id,
        sku_id,
        quantity_on_hand,
        unit_of_measure,
        currency_code,
        updated_at,
        event_id,
        op as last_op,
        source_lsn,
        (cast('1970-01-01' as timestamp) + (source_ts_ms / 1000.0) * interval '1 second') as source_committed_at,
        stream_name,
        shard_id,
        sequence_number,
        approximate_arrival_timestamp as arrived_at,
        _loaded_at as loaded_at
    from latest
)


    select warehouse_id, sku_id, quantity_on_hand, unit_of_measure, currency_code, updated_at, event_id, last_op, source_lsn, source_committed_at, stream_name, shard_id, sequence_number, arrived_at, loaded_at
    from (
        select
            candidates.*,
            row_number() over (
                partition by warehouse_id, sku_id
                order by source_lsn desc, arrived_at, shard_id, sequence_number
            ) as state_rank
        from (
            select warehouse_id, sku_id, quantity_on_hand, unit_of_measure, currency_code, updated_at, event_id, last_op, source_lsn, source_committed_at, stream_name, shard_id, sequence_number, arrived_at, loaded_at from changed
            union all
            select stored.warehouse_id, stored.sku_id, stored.quantity_on_hand, stored.unit_of_measure, stored.currency_code, stored.updated_at, stored.event_id, stored.last_op, stored.source_lsn, stored.source_committed_at, stored.stream_name, stored.shard_id, stored.sequence_number, stored.arrived_at, stored.loaded_at
            from "inventory"."silver"."int_cdc_stock_levels_state" as stored
            inner join (select distinct warehouse_id, sku_id from changed) as touched
                on touched.warehouse_id = stored.warehouse_id and touched.sku_id = stored.sku_id
        ) as candidates
    ) as ranked
    where state_rank = 1;

-- Later runs of incremental model int_ledger_chunk_done (the table exists): the SELECT whose rows replace the
-- restated days or months (its incremental strategy deletes those, then inserts these rows).
-- Redshift physical design: a few rows a day, read once an invocation: copied to every node.

-- The chunks of the ledger's passes that completed (docs/late_arriving.md "Chunks"): the newest window's
-- build_id, appended once the ledger, the rejects, the snapshot and Gold monthly rebuilt its days and
-- their tests passed; dbt skips this model when any of them failed, so the chunk is not counted as
-- applied and int_ledger_restate_window restates it again.
-- depends_on: "inventory"."silver"."fct_inventory_transactions", "inventory"."silver"."transaction_rejects"
-- depends_on: "inventory"."silver"."fct_inventory_snapshot_month_end", "inventory"."gold"."gold_inventory_value_monthly"
select w.build_id
from "inventory"."silver"."int_ledger_restate_window" as w
where w.build_id = (select max(build_id) from "inventory"."silver"."int_ledger_restate_window");

-- Later runs of int_ledger_resolved (the ledger exists): the SELECT the table is rebuilt from.
-- Redshift physical design: distributed and sorted like the ledger it feeds (sku_id; event date).

-- The ledger, resolved for the days of int_ledger_restate_window: the deduplicated movements
-- of batch files and the CDC stream (one ledger: a streamed change of a transaction_id replaces the
-- batch row with that id, a streamed delete removes it), each with the product and warehouse versions
-- and the standard cost in force on its event day and, for rows that cannot be resolved, the reason.
-- fct_inventory_transactions keeps the resolved rows, transaction_rejects the others.
-- A view on DuckDB, a table on Redshift (resolution_materialization, macros/ledger.sql). Lean: a resolved
-- row carries the fact's columns only; the natural keys, load lineage and reference of a row are kept
-- where transaction_rejects needs them (rejects), and reference_id on transfer legs.
--
-- A daily run reads only the restated days: Bronze rows of keys with some version on or after
-- the first restated day. A key whose latest version moved before that day drops out here, and the day
-- was chosen from all its versions (first_affected_day), so its old row is deleted with the restated
-- days. A first build or --full-refresh resolves the whole history; with nothing new, no row.
-- In a chunked pass (docs/late_arriving.md "Chunks") the window also ends (restate_until): the rows whose
-- latest version falls in [restate_from, restate_until), so memory and storage follow the chunk.
with batch_ledger as (
    select * from (
        select
            src.*,
            row_number() over (
                partition by transaction_id
                order by _loaded_at desc, _batch_id desc, _source_row desc
            ) as _load_rank
        from (select * from "inventory"."bronze"."inventory_transactions" where transaction_id in (
        select transaction_id from "inventory"."bronze"."inventory_transactions" where event_ts >= cast(cast('1900-01-01' as date) as timestamp))) as src
    ) as ranked
    where _load_rank = 1
),

streamed as (
    select * from "inventory"."silver"."cdc_inventory_transactions"
),

ledger as (
    select
        b.transaction_id,
        b.event_ts,
        b.warehouse_id,
        b.sku_id,
        b.movement_type,
        b.quantity,
        b.reference_id,
        b._loaded_at,
        b._batch_id,
        b._source_file,
        b._source_row,
        b._load_file_key,
        cast(null as bigint) as source_lsn
    from batch_ledger as b
    left join streamed as s on s.transaction_id = b.transaction_id
    where s.transaction_id is null
    union all
    select
        transaction_id,
        event_ts,
        warehouse_id,
        sku_id,
        movement_type,
        quantity,
        reference_id,
        loaded_at as _loaded_at,
        load_batch_id as _batch_id,
        'kinesis:' || stream_name || '/' || shard_id as _source_file,
        cast(null as bigint) as _source_row,
        cast(null as bigint) as _load_file_key,
        source_lsn
    from streamed
    where not is_deleted
),

known_skus as (select distinct sku_id from "inventory"."silver"."dim_product"),

known_warehouses as (select distinct warehouse_id from "inventory"."silver"."dim_warehouse"),

resolved as (
    select
        l.transaction_id,
        l.event_ts,
        cast(l.event_ts as date) as event_date,
        l.warehouse_id,
        l.sku_id,
        l.movement_type,
        l.quantity,
        l.reference_id,
        l._loaded_at as loaded_at,
        l._batch_id as source_batch_id,
        l._source_file as source_file,
        l._source_row as source_row,
        l._load_file_key as load_file_key,
        l.source_lsn,
        p.product_key,
        p.category_code,
        w.warehouse_key,
        w.currency_code,
        ks.sku_id is not null as sku_known,
        kw.warehouse_id is not null as warehouse_known
    from ledger as l
    -- SCD2 as-of joins: the version whose [effective_from, effective_to) holds the event day.
    left join "inventory"."silver"."dim_product" as p
        on p.sku_id = l.sku_id
        and cast(l.event_ts as date) >= p.effective_from
        and cast(l.event_ts as date) < p.effective_to
    left join "inventory"."silver"."dim_warehouse" as w
        on w.warehouse_id = l.warehouse_id
        and cast(l.event_ts as date) >= w.effective_from
        and cast(l.event_ts as date) < w.effective_to
    left join known_skus as ks on ks.sku_id = l.sku_id
    left join known_warehouses as kw on kw.warehouse_id = l.warehouse_id
    where l.event_ts >= cast(cast('1900-01-01' as date) as timestamp)
),

reasoned as (
    select
        *,
        case
            when not sku_known then cast('unknown sku_id' as varchar)
            when not warehouse_known then cast('unknown warehouse_id' as varchar)
            when product_key is null then cast('no product version valid at event date' as varchar)
            when warehouse_key is null then cast('no warehouse version valid at event date' as varchar)
        end as reject_reason
    from resolved
)

select
    r.transaction_id,
    r.event_ts,
    r.event_date,
    r.movement_type,
    r.quantity,
    r.source_row,
    r.load_file_key,
    r.source_lsn,
    r.product_key,
    r.warehouse_key,
    cast((r.quantity * c.standard_cost) as numeric(18, 4)) as extended_value_local,
    r.reject_reason,
    case
        when r.reject_reason is not null or r.movement_type in ('TRANSFER_OUT', 'TRANSFER_IN')
            then r.reference_id
    end as reference_id,
    case when r.reject_reason is not null then r.warehouse_id end as warehouse_id,
    case when r.reject_reason is not null then r.sku_id end as sku_id,
    case when r.reject_reason is not null then r.loaded_at end as loaded_at,
    case when r.reject_reason is not null then r.source_batch_id end as source_batch_id,
    case when r.reject_reason is not null then r.source_file end as source_file
from reasoned as r
left join "inventory"."silver"."standard_cost_history" as c
    on c.sku_id = r.sku_id
    and c.currency_code = r.currency_code
    and r.event_date >= c.effective_from
    and r.event_date < c.effective_to;

-- Later runs of int_ledger_restate_window (the ledger exists): the SELECT the table is rebuilt from.
-- Redshift physical design: a few rows a day, read by every ledger model in every run: copied to every node.

-- The ledger's restatement window, one row per dbt invocation (docs/late_arriving.md "Chunks"): every
-- ledger model reads the newest row (ledger_window). A pass restates the days from the earliest event day
-- that Bronze rows loaded since the last complete pass affect (and every earlier version of their keys), or
-- the whole history (first build, a ledger table missing, --full-refresh), in whole-month chunks of at most
-- var('ledger_chunk_rows') Bronze rows; each chunk is one invocation. int_ledger_chunk_done records the
-- chunks whose whole chain (ledger, rejects, snapshot, Gold monthly and their tests) succeeded, so:
--   * the newest done chunk ends before the ledger's end (restated_until set) and nothing was loaded since
--     its pass began: the pass resumes with the next chunk (a killed first build resumes where it stopped);
--   * otherwise a new pass starts; "loaded since" means after the watermark of the last complete pass, so a
--     failed or interrupted chunk, or new Bronze during a pass, restates its days again.
-- The log is never rebuilt (full_refresh=false): --full-refresh starts a whole-history pass in it instead,
-- so build_id only grows and the stamps on the tables (build_id) stay comparable.
with loads as (
    select max(loaded_at) as loaded_at
    from (
        select max(_loaded_at) as loaded_at from "inventory"."bronze"."inventory_transactions"
        union all
        select max(_loaded_at) as loaded_at from "inventory"."bronze"."cdc_events"
        union all
        select max(_loaded_at) as loaded_at from "inventory"."bronze"."opening_balances"
        union all
        select max(_loaded_at) as loaded_at from "inventory"."bronze"."standard_costs"
        union all
        select max(_loaded_at) as loaded_at from "inventory"."bronze"."fx_rates"
        union all
        select max(_loaded_at) as loaded_at from "inventory"."bronze"."products"
        union all
        select max(_loaded_at) as loaded_at from "inventory"."bronze"."warehouses"
        
        ) as per_source
)

select
    1 as build_id,
    cast(null as date) as pass_from,
    cast(null as date) as restated_from,
    cast(null as date) as restated_until,
    cast(true as boolean) as is_full_history,
    loads.loaded_at as bronze_loaded_through
from loads;

-- Later runs of incremental model key_map_product_version (the table exists): the SELECT whose rows replace the
-- restated days or months (its incremental strategy deletes those, then inserts these rows).
-- Redshift physical design: A few hundred thousand rows: a copy on every node, like the dimension it keys.

-- The integer key of each product version (sku_id, valid_from): dim_product's product_key, the fact's
-- pointer to the version in force on the event day. Append-only; a key never changes (macros/key_map.sql).
with natural_keys as (
    select distinct sku_id, valid_from
    from "inventory"."bronze"."products"
    where sku_id is not null and valid_from is not null
),

new_keys as (
    select src.sku_id, src.valid_from
    from natural_keys as src
    left join "inventory"."silver"."key_map_product_version" as known on known.sku_id = src.sku_id and known.valid_from = src.valid_from
    where known.product_key is null
)

select
    cast(
        (select coalesce(max(product_key), 0) from "inventory"."silver"."key_map_product_version")
        + row_number() over (order by sku_id, valid_from)
        as integer
    ) as product_key,
    sku_id,
    valid_from
from new_keys;

-- Later runs of incremental model key_map_sku (the table exists): the SELECT whose rows replace the
-- restated days or months (its incremental strategy deletes those, then inserts these rows).
-- Redshift physical design: About 100K rows: a copy on every node, like the dimension it keys.

-- The integer key of each SKU (sku_id), whatever its versions: dim_product's sku_entity_key, the month-end
-- snapshot's pair identity, which a new product version does not change. Append-only; a key never changes
-- (macros/key_map.sql).
with natural_keys as (
    select distinct sku_id
    from "inventory"."bronze"."products"
    where sku_id is not null
),

new_keys as (
    select src.sku_id
    from natural_keys as src
    left join "inventory"."silver"."key_map_sku" as known on known.sku_id = src.sku_id
    where known.sku_entity_key is null
)

select
    cast(
        (select coalesce(max(sku_entity_key), 0) from "inventory"."silver"."key_map_sku")
        + row_number() over (order by sku_id)
        as integer
    ) as sku_entity_key,
    sku_id
from new_keys;

-- Later runs of incremental model key_map_warehouse (the table exists): the SELECT whose rows replace the
-- restated days or months (its incremental strategy deletes those, then inserts these rows).
-- Redshift physical design: Hundreds of rows: a copy on every node, like the dimension it keys.

-- The integer key of each warehouse (warehouse_id), whatever its versions: dim_warehouse's
-- warehouse_entity_key, the month-end snapshot's pair identity, which a new warehouse version does not
-- change. Append-only; a key never changes (macros/key_map.sql).
with natural_keys as (
    select distinct warehouse_id
    from "inventory"."bronze"."warehouses"
    where warehouse_id is not null
),

new_keys as (
    select src.warehouse_id
    from natural_keys as src
    left join "inventory"."silver"."key_map_warehouse" as known on known.warehouse_id = src.warehouse_id
    where known.warehouse_entity_key is null
)

select
    cast(
        (select coalesce(max(warehouse_entity_key), 0) from "inventory"."silver"."key_map_warehouse")
        + row_number() over (order by warehouse_id)
        as integer
    ) as warehouse_entity_key,
    warehouse_id
from new_keys;

-- Later runs of incremental model key_map_warehouse_version (the table exists): the SELECT whose rows replace the
-- restated days or months (its incremental strategy deletes those, then inserts these rows).
-- Redshift physical design: Hundreds of rows: a copy on every node, like the dimension it keys.

-- The integer key of each warehouse version (warehouse_id, valid_from): dim_warehouse's warehouse_key, the
-- fact's pointer to the version in force on the event day. Append-only; a key never changes (macros/key_map.sql).
with natural_keys as (
    select distinct warehouse_id, valid_from
    from "inventory"."bronze"."warehouses"
    where warehouse_id is not null and valid_from is not null
),

new_keys as (
    select src.warehouse_id, src.valid_from
    from natural_keys as src
    left join "inventory"."silver"."key_map_warehouse_version" as known on known.warehouse_id = src.warehouse_id and known.valid_from = src.valid_from
    where known.warehouse_key is null
)

select
    cast(
        (select coalesce(max(warehouse_key), 0) from "inventory"."silver"."key_map_warehouse_version")
        + row_number() over (order by warehouse_id, valid_from)
        as integer
    ) as warehouse_key,
    warehouse_id,
    valid_from
from new_keys;

-- Later runs of incremental model transaction_rejects (the table exists): the SELECT whose rows replace the
-- restated days or months (its incremental strategy deletes those, then inserts these rows).
-- Redshift physical design: Expected near-empty; even distribution, newest loads found by sort key.

-- Ledger rows that reference an unknown SKU or warehouse, or fall outside every dimension version.
-- Kept with the reason rather than dropped; a failing check counts them. Restated incrementally like
-- fct_inventory_transactions (the same window, the same resolved rows): a reject leaves when the master
-- data it lacked arrives.

select
    r.transaction_id,
    r.event_ts,
    r.event_date,
    r.warehouse_id,
    r.sku_id,
    r.movement_type,
    r.quantity,
    r.reference_id,
    r.reject_reason,
    r.loaded_at,
    r.source_batch_id,
    r.source_file,
    r.source_row,
    w.bronze_loaded_through,
    w.build_id
from "inventory"."silver"."int_ledger_resolved" as r
inner join "inventory"."silver"."int_ledger_restate_window" as w
    on w.build_id = (select max(build_id) from "inventory"."silver"."int_ledger_restate_window")
where r.reject_reason is not null;
