"""The platform side of CDC: local stack wiring, status and lag, Dagster assets and sensors."""
