-- Detection queries for the on-call engineer, referenced by name from the runbooks in this folder.
--
-- Every query starts with a header that code and tests read (inventory_platform/monitoring/queries.py):
--   -- name:      unique id, referenced by the runbooks
--   -- engine:    redshift              SYS_/SVV_ views: work on Serverless, provisioned and Multi-AZ
--                redshift-provisioned  STV_/STL_/SVL_ tables: provisioned clusters only; used where they
--                                      show something the SYS views do not
--                duckdb                the local warehouse file
--   -- detects:   what a returned row means
--   -- threshold: when to act (the thresholds the sensors and jobs use come from environment variables,
--                see inventory_platform/settings.py)
--   -- used_by:   code that runs the query (optional)
-- Queries take no parameters, so each can be pasted into the Redshift query editor or `duckdb` as is.
-- Sizes in Redshift system views are 1 MB blocks; times in SYS views are microseconds.


-- ===================================================================================== storage

-- name: redshift_storage_total
-- engine: redshift
-- detects: managed storage used by every table of the database (MB), the input of warehouse_disk_sensor
-- threshold: used_mb / capacity >= INVENTORY_DISK_WARN_PCT (default 80) warns, >= INVENTORY_DISK_FAIL_PCT (default 90) fails; capacity is INVENTORY_REDSHIFT_STORAGE_CAPACITY_GB or, on provisioned clusters, redshift_provisioned_disk_capacity
-- used_by: inventory_platform/monitoring/disk_usage.py
SELECT COALESCE(SUM(size), 0) AS used_mb,
       COUNT(*) AS table_count
FROM svv_table_info;

-- name: redshift_disk_usage_by_table
-- engine: redshift
-- detects: the tables holding the most storage and each one's share of the warehouse
-- threshold: one table above 25% of all storage, or a table that doubled since the last check, needs a look (retention, cold-tier offload, skew)
SELECT TRIM("schema") AS schema_name,
       TRIM("table") AS table_name,
       size AS size_mb,
       tbl_rows,
       ROUND(100.0 * size / NULLIF(SUM(size) OVER (), 0), 2) AS pct_of_warehouse,
       skew_rows
FROM svv_table_info
ORDER BY size DESC
LIMIT 50;

-- name: redshift_disk_usage_by_schema
-- engine: redshift
-- detects: storage per schema (bronze grows with history; silver/gold should stay proportionate)
-- threshold: bronze above 70% of storage means history should move to the cold tier (S3 + Spectrum)
SELECT TRIM("schema") AS schema_name,
       COUNT(*) AS tables,
       SUM(size) AS size_mb,
       SUM(tbl_rows) AS rows_total,
       ROUND(100.0 * SUM(size) / NULLIF(SUM(SUM(size)) OVER (), 0), 2) AS pct_of_warehouse
FROM svv_table_info
GROUP BY TRIM("schema")
ORDER BY size_mb DESC;

-- name: redshift_provisioned_disk_capacity
-- engine: redshift-provisioned
-- detects: used and total disk of a provisioned cluster's nodes (tossed blocks are free at the next commit)
-- threshold: used_pct >= INVENTORY_DISK_WARN_PCT warns, >= INVENTORY_DISK_FAIL_PCT fails; above 95% queries start failing with "Disk Full" (error 1016)
-- used_by: inventory_platform/monitoring/disk_usage.py
SELECT SUM(used - tossed) AS used_mb,
       SUM(capacity) AS capacity_mb,
       ROUND(100.0 * SUM(used - tossed) / NULLIF(SUM(capacity), 0), 2) AS used_pct
FROM stv_partitions
WHERE part_begin = 0;

-- name: redshift_provisioned_schema_quota
-- engine: redshift-provisioned
-- detects: schemas close to their storage quota (writes into a schema over quota fail)
-- threshold: disk_usage_pct >= 80 warns, >= 95 fails
SELECT TRIM(schema_name) AS schema_name,
       quota AS quota_mb,
       disk_usage AS disk_usage_mb,
       disk_usage_pct
FROM svv_schema_quota_state
WHERE quota > 0
ORDER BY disk_usage_pct DESC;


-- ================================================================================ spill to disk

-- name: redshift_spill_to_disk
-- engine: redshift
-- detects: queries of the last 24 hours whose steps ran out of memory and spilled to local or remote disk
-- threshold: more than 1024 MB spilled by one query warns; spill by the dbt build or a Gold refresh every day means the model needs a better sort/dist key or fewer columns
SELECT d.query_id,
       MAX(h.start_time) AS start_time,
       MAX(h.elapsed_time) / 1000000.0 AS elapsed_s,
       SUM(d.spilled_block_local_disk) AS spilled_local_mb,
       SUM(d.spilled_block_remote_disk) AS spilled_remote_mb,
       MAX(LEFT(h.query_text, 200)) AS query_text
FROM sys_query_detail AS d
JOIN sys_query_history AS h ON h.query_id = d.query_id
WHERE LOWER(d.metrics_level) = 'step'
  AND h.start_time > DATEADD(hour, -24, GETDATE())
GROUP BY d.query_id
HAVING SUM(d.spilled_block_local_disk + d.spilled_block_remote_disk) > 0
ORDER BY SUM(d.spilled_block_local_disk + d.spilled_block_remote_disk) DESC
LIMIT 50;

-- name: redshift_provisioned_spill_to_disk
-- engine: redshift-provisioned
-- detects: the disk-based steps of recent queries with the working memory they were given (which step of the plan spilled, and how much memory it had)
-- threshold: any disk-based hash or sort step in the dbt build warns; raise WLM memory for the dbt queue or fix the plan
SELECT s.query,
       s.seg,
       s.step,
       TRIM(s.label) AS step_label,
       s.workmem / 1048576 AS workmem_mb,
       s.rows,
       s.bytes / 1048576 AS bytes_mb,
       LEFT(TRIM(q.querytxt), 200) AS query_text
FROM svl_query_summary AS s
JOIN stl_query AS q ON q.query = s.query
WHERE s.is_diskbased = 't'
  AND q.starttime > DATEADD(hour, -24, GETDATE())
ORDER BY s.bytes DESC
LIMIT 50;


-- ============================================================================ table maintenance

-- name: redshift_tables_needing_maintenance
-- engine: redshift
-- detects: platform tables whose rows are out of sort order (unsorted %), whose planner statistics are stale (stats_off %) or that hold deleted rows not yet reclaimed (deleted %)
-- threshold: unsorted or deleted_pct >= INVENTORY_VACUUM_UNSORTED_PCT (default 10) needs VACUUM; stats_off >= INVENTORY_ANALYZE_STATS_OFF_PCT (default 10) needs ANALYZE; the auto_maintenance job applies both
-- used_by: inventory_platform/monitoring/maintenance.py
SELECT TRIM("schema") AS schema_name,
       TRIM("table") AS table_name,
       tbl_rows,
       COALESCE(unsorted, 0) AS unsorted_pct,
       COALESCE(stats_off, 0) AS stats_off_pct,
       ROUND(100.0 * (tbl_rows - estimated_visible_rows) / NULLIF(tbl_rows, 0), 2) AS deleted_pct,
       size AS size_mb
FROM svv_table_info
WHERE TRIM("schema") IN ('bronze', 'silver', 'gold')
  AND LEFT(TRIM("table"), 8) <> 'mv_tbl__'
ORDER BY GREATEST(COALESCE(unsorted, 0), COALESCE(stats_off, 0)) DESC, size DESC;


-- ============================================================================ long-running work

-- name: redshift_long_running_queries
-- engine: redshift
-- detects: queries planning, queued, running or returning for more than 15 minutes
-- threshold: 15 minutes warns, 60 minutes fails (the dbt build of a day's data takes minutes); queued time means WLM or RPU limits, running time means the query itself
SELECT query_id,
       session_id,
       user_id,
       TRIM(status) AS status,
       TRIM(query_type) AS query_type,
       start_time,
       DATEDIFF(second, start_time, GETDATE()) AS running_s,
       queue_time / 1000000.0 AS queued_s,
       LEFT(query_text, 200) AS query_text
FROM sys_query_history
WHERE TRIM(status) IN ('planning', 'queued', 'running', 'returning')
  AND DATEDIFF(second, start_time, GETDATE()) > 900
ORDER BY running_s DESC;

-- name: redshift_provisioned_long_running_queries
-- engine: redshift-provisioned
-- detects: statements running for more than 15 minutes with the process id to cancel them with (PG_CANCEL_BACKEND / PG_TERMINATE_BACKEND)
-- threshold: 15 minutes warns, 60 minutes fails
SELECT pid,
       TRIM(user_name) AS user_name,
       TRIM(db_name) AS db_name,
       starttime,
       DATEDIFF(second, starttime, GETDATE()) AS running_s,
       LEFT(TRIM(query), 200) AS query_text
FROM stv_recents
WHERE TRIM(status) = 'Running'
  AND DATEDIFF(second, starttime, GETDATE()) > 900
ORDER BY running_s DESC;


-- ====================================================================== locks and conflicts

-- name: redshift_blocking_locks
-- engine: redshift
-- detects: sessions waiting for a table lock, and the session holding it (the one to wait for or to end)
-- threshold: a wait longer than 60 seconds warns, longer than 10 minutes fails; an idle transaction holding a lock for hours is the usual culprit
SELECT w.pid AS waiting_pid,
       TRIM(w.txn_owner) AS waiting_user,
       TRIM(w.lock_mode) AS waiting_for,
       w.relation AS table_id,
       TRIM(t."schema") || '.' || TRIM(t."table") AS table_name,
       DATEDIFF(second, w.txn_start, GETDATE()) AS waiting_transaction_s,
       h.pid AS blocking_pid,
       TRIM(h.txn_owner) AS blocking_user,
       TRIM(h.lock_mode) AS blocking_lock,
       h.txn_start AS blocking_since
FROM svv_transactions AS w
JOIN svv_transactions AS h
  ON h.relation = w.relation AND h.granted = TRUE AND h.pid <> w.pid
LEFT JOIN svv_table_info AS t ON t.table_id = w.relation
WHERE w.granted = FALSE
ORDER BY waiting_transaction_s DESC;

-- name: redshift_provisioned_table_locks
-- engine: redshift-provisioned
-- detects: every table lock held or awaited, with when its owner transaction started and when the table was last committed
-- threshold: a lock held longer than 10 minutes by a transaction that is not the dbt build or a load warns
SELECT l.table_id,
       TRIM(t."schema") || '.' || TRIM(t."table") AS table_name,
       l.lock_owner AS transaction_id,
       l.lock_owner_pid AS pid,
       TRIM(l.lock_status) AS lock_status,
       l.lock_owner_start_ts AS owner_started,
       DATEDIFF(second, l.lock_owner_start_ts, GETDATE()) AS held_s,
       l.last_commit
FROM stv_locks AS l
LEFT JOIN svv_table_info AS t ON t.table_id = l.table_id
ORDER BY held_s DESC;

-- name: redshift_serialization_conflicts
-- engine: redshift
-- detects: statements of the last 24 hours that failed with a serializable isolation violation (ERROR: 1023), per hour and statement type
-- threshold: any that surfaced as a failed Dagster run warns (the resource retries 5 times first); more than 10 in an hour fails: two writers touch the same table concurrently
SELECT DATE_TRUNC('hour', start_time) AS hour,
       TRIM(query_type) AS query_type,
       COUNT(*) AS conflicts,
       COUNT(DISTINCT transaction_id) AS transactions,
       MAX(LEFT(query_text, 200)) AS example_query
FROM sys_query_history
WHERE TRIM(status) = 'failed'
  AND (error_message LIKE '%1023%' OR LOWER(error_message) LIKE '%serializable isolation violation%')
  AND start_time > DATEADD(hour, -24, GETDATE())
GROUP BY DATE_TRUNC('hour', start_time), TRIM(query_type)
ORDER BY hour DESC, conflicts DESC;

-- name: redshift_provisioned_serialization_conflicts
-- engine: redshift-provisioned
-- detects: the table each aborted transaction conflicted on (SYS views do not name it)
-- threshold: the same table in more than one conflict a day: put its writers in one Dagster pool or schedule them apart
SELECT c.table_id,
       TRIM(t."schema") || '.' || TRIM(t."table") AS table_name,
       COUNT(*) AS conflicts,
       MIN(c.abort_time) AS first_abort,
       MAX(c.abort_time) AS last_abort
FROM stl_tr_conflict AS c
LEFT JOIN svv_table_info AS t ON t.table_id = c.table_id
WHERE c.abort_time > DATEADD(hour, -24, GETDATE())
GROUP BY c.table_id, TRIM(t."schema") || '.' || TRIM(t."table")
ORDER BY conflicts DESC;


-- ===================================================================== streaming and loads

-- name: redshift_streaming_ingestion_errors
-- engine: redshift
-- detects: Kinesis records the streaming-ingestion materialized view could not ingest in the last 24 hours (oversized, not UTF-8, not JSON)
-- threshold: any error warns (the Lambda should have sent such records to the dead-letter stream); more than 100 in an hour fails
SELECT TRIM(mv_name) AS mv_name,
       TRIM(stream_name) AS stream_name,
       error_code,
       TRIM(error_reason) AS error_reason,
       COUNT(*) AS errors,
       MIN(record_time) AS first_seen,
       MAX(record_time) AS last_seen
FROM sys_stream_scan_errors
WHERE record_time > DATEADD(hour, -24, GETDATE())
GROUP BY TRIM(mv_name), TRIM(stream_name), error_code, TRIM(error_reason)
ORDER BY errors DESC;

-- name: redshift_streaming_ingestion_lag
-- engine: redshift
-- detects: per streaming materialized view, when it last scanned its stream, how old the newest ingested record is, and how many records were skipped
-- threshold: lag_s above the CDC lag thresholds (issue 5, p95 <= 10 s locally) warns; no scan in the last 10 minutes fails (auto refresh stopped)
SELECT TRIM(mv_name) AS mv_name,
       TRIM(stream_name) AS stream_name,
       MAX(record_time) AS last_scan,
       MAX(stream_record_time_max) AS newest_record_arrival,
       DATEDIFF(second, MAX(stream_record_time_max), GETDATE()) AS lag_s,
       SUM(scanned_rows) AS scanned_rows,
       SUM(skipped_rows) AS skipped_rows
FROM sys_stream_scan_states
WHERE record_time > DATEADD(hour, -24, GETDATE())
GROUP BY TRIM(mv_name), TRIM(stream_name)
ORDER BY lag_s DESC;

-- name: redshift_copy_load_errors
-- engine: redshift
-- detects: COPY errors of the last 24 hours (Bronze loads from the S3 landing zone): file, line, column and reason
-- threshold: any error warns; the same file failing twice fails (fix or quarantine the file)
SELECT query_id,
       start_time,
       TRIM(file_name) AS file_name,
       line_number,
       TRIM(column_name) AS column_name,
       error_code,
       TRIM(error_message) AS error_message
FROM sys_load_error_detail
WHERE start_time > DATEADD(hour, -24, GETDATE())
ORDER BY start_time DESC
LIMIT 100;

-- name: redshift_mv_refresh_status
-- engine: redshift
-- detects: per materialized view (Gold, streaming ingestion): stale or not, whether it can still refresh (state), and its last refresh's type, status and age
-- threshold: state 101-105 fails (the view can no longer refresh: recreate it with dbt); is_stale = 't' with the last refresh older than 60 minutes warns; a last status other than success/already updated warns
SELECT TRIM(i.schema_name) AS schema_name,
       TRIM(i.name) AS mv_name,
       i.is_stale,
       i.state,
       i.autorefresh,
       TRIM(r.refresh_type) AS last_refresh_type,
       TRIM(r.status) AS last_refresh_status,
       r.end_time AS last_refresh_end,
       DATEDIFF(minute, r.end_time, GETDATE()) AS minutes_since_refresh
FROM svv_mv_info AS i
LEFT JOIN (
    SELECT schema_name, mv_name, refresh_type, status, end_time,
           ROW_NUMBER() OVER (PARTITION BY schema_name, mv_name ORDER BY start_time DESC) AS recency
    FROM sys_mv_refresh_history
) AS r
  ON TRIM(r.schema_name) = TRIM(i.schema_name) AND TRIM(r.mv_name) = TRIM(i.name) AND r.recency = 1
ORDER BY i.state DESC, minutes_since_refresh DESC;


-- =========================================================================== DuckDB (local)

-- name: duckdb_database_size
-- engine: duckdb
-- detects: size of the warehouse file in blocks, how much of it is free (reusable) space, and the write-ahead log not yet checkpointed
-- threshold: free_block_pct above 50 means the file holds mostly dead space (copy it to a fresh file to shrink it); a WAL above 256 MB means CHECKPOINT is not keeping up
SELECT database_name,
       database_size,
       block_size,
       total_blocks,
       used_blocks,
       free_blocks,
       ROUND(100.0 * free_blocks / NULLIF(total_blocks, 0), 1) AS free_block_pct,
       wal_size,
       memory_usage,
       memory_limit
FROM pragma_database_size()
WHERE database_name = current_database();

-- name: duckdb_disk_usage_by_table
-- engine: duckdb
-- detects: the largest tables by estimated rows and their share of all rows (DuckDB keeps no per-table byte count in its catalog)
-- threshold: the largest tables are the Silver ledger and snapshot (the Bronze ledger is Parquet read in place, not a table); any other table that large is a runaway load
SELECT schema_name,
       table_name,
       estimated_size AS estimated_rows,
       column_count,
       ROUND(100.0 * estimated_size / NULLIF(SUM(estimated_size) OVER (), 0), 2) AS pct_of_rows
FROM duckdb_tables()
WHERE database_name = current_database()
ORDER BY estimated_size DESC;

-- name: duckdb_disk_usage_by_schema
-- engine: duckdb
-- detects: estimated rows per schema (layer)
-- threshold: silver or gold larger than bronze means a model fans out rows (a join on a non-unique key)
SELECT schema_name,
       COUNT(*) AS tables,
       SUM(estimated_size) AS estimated_rows,
       ROUND(100.0 * SUM(estimated_size) / NULLIF(SUM(SUM(estimated_size)) OVER (), 0), 2) AS pct_of_rows
FROM duckdb_tables()
WHERE database_name = current_database()
GROUP BY schema_name
ORDER BY estimated_rows DESC;

-- name: duckdb_spill_to_disk
-- engine: duckdb
-- detects: where this process spills (temp_directory), how much it may spill, its memory limit, and the temporary files it holds now
-- threshold: spill files during a dbt build are normal; the disk sensor's temp_bytes staying above 10% of free space warns (lower threads or raise memory_limit)
SELECT current_setting('temp_directory') AS temp_directory,
       current_setting('max_temp_directory_size') AS max_temp_directory_size,
       current_setting('memory_limit') AS memory_limit,
       (SELECT COUNT(*) FROM duckdb_temporary_files()) AS temporary_files,
       (SELECT COALESCE(SUM(size), 0) FROM duckdb_temporary_files()) AS temporary_bytes,
       (SELECT SUM(temporary_storage_bytes) FROM duckdb_memory()) AS temporary_storage_bytes;

-- name: duckdb_bronze_load_freshness
-- engine: duckdb
-- detects: per Bronze source, when a file last loaded and how many files are quarantined
-- threshold: hours_since_load >= 26 warns and >= 30 fails (the Bronze freshness policy in definitions.py)
SELECT source_table,
       MAX(loaded_at) FILTER (WHERE status = 'loaded') AS last_loaded_at,
       ROUND(date_diff('second', MAX(loaded_at) FILTER (WHERE status = 'loaded'),
                       CAST(current_timestamp AT TIME ZONE 'UTC' AS TIMESTAMP)) / 3600.0, 1) AS hours_since_load,
       COUNT(*) FILTER (WHERE status = 'loaded') AS files_loaded,
       COUNT(*) FILTER (WHERE status <> 'loaded') AS files_not_loaded,
       SUM(rows_loaded) AS rows_loaded
FROM bronze.load_log
GROUP BY source_table
ORDER BY hours_since_load DESC NULLS FIRST;

-- name: duckdb_ledger_load_lag
-- engine: duckdb
-- detects: per recent ledger batch, the newest event it carried, when it was loaded and how far loading trailed the events (CDC micro-batches and daily files alike)
-- threshold: for daily files a batch lag up to ~26 hours is normal; for CDC batches a lag above the CDC thresholds (p95 10 s) warns; no batch in 30 hours fails
SELECT _batch_id AS batch_id,
       COUNT(*) AS rows_loaded,
       MIN(event_ts) AS oldest_event,
       MAX(event_ts) AS newest_event,
       MAX(_loaded_at) AS loaded_at,
       date_diff('second', MAX(event_ts), MAX(_loaded_at)) AS newest_event_lag_s,
       ROUND(date_diff('second', MAX(_loaded_at),
                       CAST(current_timestamp AT TIME ZONE 'UTC' AS TIMESTAMP)) / 3600.0, 1) AS hours_since_batch
FROM bronze.inventory_transactions
GROUP BY _batch_id
ORDER BY loaded_at DESC
LIMIT 20;

-- name: duckdb_cdc_lag
-- engine: duckdb
-- detects: per CDC stream, how far the local loader trails the clean Kinesis stream: newest record's arrival and load, p50/p95 of (loaded - arrived) over the last hour, seconds since the last load
-- threshold: p95_load_lag_s or seconds_since_last_load (while records keep arriving) at INVENTORY_CDC_LAG_WARN_SECONDS (default 30) warns and at INVENTORY_CDC_LAG_FAIL_SECONDS (default 300) fails, as the cdc_lag_within_threshold check does
SELECT stream_name,
       COUNT(*) AS records,
       MAX(approximate_arrival_timestamp) AS newest_arrival,
       MAX(_loaded_at) AS last_loaded_at,
       ROUND(quantile_cont(date_diff('millisecond', approximate_arrival_timestamp, _loaded_at), 0.5)
             FILTER (WHERE _loaded_at > CAST(current_timestamp AT TIME ZONE 'UTC' AS TIMESTAMP) - INTERVAL 1 HOUR)
             / 1000.0, 3) AS p50_load_lag_s,
       ROUND(quantile_cont(date_diff('millisecond', approximate_arrival_timestamp, _loaded_at), 0.95)
             FILTER (WHERE _loaded_at > CAST(current_timestamp AT TIME ZONE 'UTC' AS TIMESTAMP) - INTERVAL 1 HOUR)
             / 1000.0, 3) AS p95_load_lag_s,
       date_diff('second', MAX(_loaded_at), CAST(current_timestamp AT TIME ZONE 'UTC' AS TIMESTAMP)) AS seconds_since_last_load
FROM bronze.cdc_events
GROUP BY stream_name
ORDER BY p95_load_lag_s DESC NULLS LAST;

-- name: duckdb_quarantine_backlog
-- engine: duckdb
-- detects: quarantined landing files not yet superseded by a corrected load (what the no_unresolved_quarantined_files check fails on)
-- threshold: any row warns; Silver and Gold keep building without the file's rows until it is fixed
SELECT q.source_table,
       q.source_file,
       q.row_number,
       q.column_name,
       q.reason,
       q.quarantined_at
FROM bronze.quarantine AS q
WHERE NOT EXISTS (
    SELECT 1 FROM bronze.load_log AS l
    WHERE l.source_table = q.source_table AND l.source_file = q.source_file
      AND l.status = 'loaded' AND l.loaded_at > q.quarantined_at)
ORDER BY q.quarantined_at, q.source_file;
