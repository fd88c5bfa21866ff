"""The CDC processor as it ships to AWS Lambda: event contract, handler, dedup stores and Kinesis writes.

Every module directly in this package is copied into the Lambda zip (docs/deploy_redshift.md, section 2)
and imports only the standard library, boto3/botocore, pydantic, aws-lambda-powertools and this package
(tests/unit/test_lambda_package.py). The local stand-in for AWS (moto server, event-source mapping,
producer) is `streaming.local`; the warehouse side of CDC is `inventory_platform.cdc`.
"""
