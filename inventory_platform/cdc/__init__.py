"""The platform side of CDC: the clean-stream Bronze loader and its tables, the local pipeline, local stack
wiring, status and lag, Dagster assets, jobs and sensors, the Redshift streaming-ingestion DDL.
The Lambda package it feeds is `streaming`; the local stand-in for AWS is `streaming.local`."""
