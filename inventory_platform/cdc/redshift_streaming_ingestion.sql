-- Redshift streaming ingestion of the clean CDC stream into Bronze (production's counterpart of the
-- local loader, inventory_platform/cdc/bronze_loader.py). Redshift reads the Kinesis stream itself:
-- no Firehose, no S3 hop. The materialized view has the columns of the local bronze.cdc_events table, so Silver
-- reads one shape on both engines (the payload is SUPER here, JSON text locally; see
-- dbt_project/macros/cdc.sql).
-- Placeholders: ${streaming_role_arn} (the RedshiftStreamingRole of the CloudFormation template) and
-- ${clean_stream} (<prefix>-clean). Apply once per environment, as the Dagster database user.

CREATE EXTERNAL SCHEMA IF NOT EXISTS kinesis_cdc
FROM KINESIS
IAM_ROLE '${streaming_role_arn}';

-- AUTO REFRESH: Redshift refreshes the view as records arrive (seconds). Records that are not
-- valid JSON cannot reach the clean stream (the Lambda handler dead-letters them), and the filter
-- keeps a bad record from failing every refresh. Distributed on the partition key (one row's
-- changes together), sorted by arrival so the Silver merge reads only new blocks.
CREATE MATERIALIZED VIEW bronze.cdc_events
DISTSTYLE KEY DISTKEY(partition_key) SORTKEY(approximate_arrival_timestamp)
AUTO REFRESH YES AS
SELECT
    CAST('${clean_stream}' AS VARCHAR(128)) AS stream_name,
    shard_id,
    sequence_number,
    partition_key,
    approximate_arrival_timestamp,
    JSON_PARSE(kinesis_data) AS payload,
    refresh_time AS _loaded_at,
    CAST(refresh_time AS VARCHAR(32)) AS _batch_id
FROM kinesis_cdc."${clean_stream}"
WHERE CAN_JSON_PARSE(kinesis_data);
