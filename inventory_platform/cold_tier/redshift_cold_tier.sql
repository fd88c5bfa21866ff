-- The cold tier on Redshift (production's counterpart of inventory_platform/cold_tier/offload.py; the design
-- and the local procedure: docs/architecture/cold_tier.md). Ledger history older than the retention window
-- is UNLOADed to S3 as Parquet partitioned by year/month and read back through Spectrum external tables;
-- silver.fct_inventory_transactions_all_history (dbt) unions hot and cold.
-- Placeholders: ${lake_role_arn} (the namespace's lake role from the CloudFormation stack; `IAM_ROLE default`
-- works as well), ${cold_prefix} (s3://<lake bucket>/cold), ${glue_database} (ColdTierGlueDatabaseName),
-- and per offload ${offload_id} (UTC timestamp + random suffix), ${cutoff_date} (first day of the month 36
-- months before the newest event date), ${year}/${month} (each month the offload wrote).
-- Same rule as locally: a file counts only when its offload_id is in silver.cold_tier_partitions, and those
-- rows are inserted in the transaction that deletes the hot rows. Each offload writes under its own
-- offload=<id>/ folder (UNLOAD never overwrites, and a retry takes a new id); an offload that never
-- committed leaves a folder nobody reads: `aws s3 rm --recursive <cold_prefix>/<table>/offload=<id>/`.
-- The cutoff moves by whole months, so each month is written by one offload and its Spectrum partition
-- points at that offload's folder.

-- Once per environment ------------------------------------------------------------------------------------
CREATE EXTERNAL SCHEMA IF NOT EXISTS cold
FROM DATA CATALOG DATABASE '${glue_database}'
IAM_ROLE '${lake_role_arn}'
CREATE EXTERNAL DATABASE IF NOT EXISTS;

CREATE EXTERNAL TABLE cold.fct_inventory_transactions (
    -- the lean ledger's columns (models/silver/fct_inventory_transactions.yml, macros/cold_tier.sql ledger_columns)
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
LOCATION '${cold_prefix}/fct_inventory_transactions/';

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
LOCATION '${cold_prefix}/bronze_inventory_transactions/';

-- The manifest: one row per table, month and committed offload (the union view's watermark and filter).
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

-- Each offload (monthly, after monthly_close) -------------------------------------------------------------
-- 1. Write the rows older than the cutoff, and every Bronze version of those transactions.
UNLOAD ('SELECT transaction_id, event_ts, event_date, month_end_date, warehouse_key, product_key, movement_type, quantity, transfer_id, extended_value_local, load_file_key, source_row, source_lsn, ''${offload_id}'' AS offload_id, CAST(EXTRACT(YEAR FROM event_date) AS INT) AS year, CAST(EXTRACT(MONTH FROM event_date) AS INT) AS month FROM silver.fct_inventory_transactions WHERE event_date < ''${cutoff_date}''')
TO '${cold_prefix}/fct_inventory_transactions/offload=${offload_id}/'
IAM_ROLE '${lake_role_arn}'
FORMAT AS PARQUET
PARTITION BY (year, month);

UNLOAD ('SELECT b.transaction_id, b.event_ts, b.warehouse_id, b.sku_id, b.movement_type, b.quantity, b.reference_id, b._batch_id, b._source_file, b._source_row, b._loaded_at, b._row_hash, b._load_file_key, ''${offload_id}'' AS offload_id, CAST(EXTRACT(YEAR FROM b.event_ts) AS INT) AS year, CAST(EXTRACT(MONTH FROM b.event_ts) AS INT) AS month FROM bronze.inventory_transactions AS b WHERE b.transaction_id IN (SELECT f.transaction_id FROM silver.fct_inventory_transactions AS f WHERE f.event_date < ''${cutoff_date}'')')
TO '${cold_prefix}/bronze_inventory_transactions/offload=${offload_id}/'
IAM_ROLE '${lake_role_arn}'
FORMAT AS PARQUET
PARTITION BY (year, month);

-- 2. Register each month the UNLOAD wrote (one statement per table and month).
ALTER TABLE cold.fct_inventory_transactions
ADD IF NOT EXISTS PARTITION (year = ${year}, month = ${month})
LOCATION '${cold_prefix}/fct_inventory_transactions/offload=${offload_id}/year=${year}/month=${month}/';

ALTER TABLE cold.bronze_inventory_transactions
ADD IF NOT EXISTS PARTITION (year = ${year}, month = ${month})
LOCATION '${cold_prefix}/bronze_inventory_transactions/offload=${offload_id}/year=${year}/month=${month}/';

-- 3. Verify: this must return no rows (Parquet differs from the hot rows in a month); stop if it does.
SELECT COALESCE(h.year, c.year) AS year, COALESCE(h.month, c.month) AS month, h.n AS hot_rows, c.n AS cold_rows
FROM (
    SELECT CAST(EXTRACT(YEAR FROM event_date) AS INT) AS year, CAST(EXTRACT(MONTH FROM event_date) AS INT) AS month,
           COUNT(*) AS n, SUM(quantity) AS q, SUM(extended_value_local) AS v
    FROM silver.fct_inventory_transactions WHERE event_date < '${cutoff_date}' GROUP BY 1, 2
) AS h
FULL OUTER JOIN (
    SELECT year, month, COUNT(*) AS n, SUM(quantity) AS q, SUM(extended_value_local) AS v
    FROM cold.fct_inventory_transactions WHERE offload_id = '${offload_id}' GROUP BY 1, 2
) AS c ON c.year = h.year AND c.month = h.month
WHERE h.n IS DISTINCT FROM c.n OR h.q IS DISTINCT FROM c.q OR h.v IS DISTINCT FROM c.v;

-- 4. Commit: the manifest rows in, the hot rows out, in one transaction.
BEGIN;

INSERT INTO silver.cold_tier_partitions
SELECT 'fct_inventory_transactions', CAST(EXTRACT(YEAR FROM event_date) AS INT), CAST(EXTRACT(MONTH FROM event_date) AS INT),
       '${offload_id}', CAST('${cutoff_date}' AS DATE), COUNT(*), SUM(quantity), SUM(extended_value_local), GETDATE()
FROM silver.fct_inventory_transactions
WHERE event_date < '${cutoff_date}'
GROUP BY 2, 3;

INSERT INTO silver.cold_tier_partitions
SELECT 'bronze_inventory_transactions', CAST(EXTRACT(YEAR FROM b.event_ts) AS INT), CAST(EXTRACT(MONTH FROM b.event_ts) AS INT),
       '${offload_id}', CAST('${cutoff_date}' AS DATE), COUNT(*), SUM(b.quantity), NULL, GETDATE()
FROM bronze.inventory_transactions AS b
WHERE b.transaction_id IN (SELECT f.transaction_id FROM silver.fct_inventory_transactions AS f WHERE f.event_date < '${cutoff_date}')
GROUP BY 2, 3;

DELETE FROM bronze.inventory_transactions
WHERE transaction_id IN (SELECT transaction_id FROM silver.fct_inventory_transactions WHERE event_date < '${cutoff_date}');

DELETE FROM silver.fct_inventory_transactions WHERE event_date < '${cutoff_date}';

COMMIT;
