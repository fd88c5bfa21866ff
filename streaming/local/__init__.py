"""The local stand-in for the AWS side of CDC, never shipped: a moto Kinesis/DynamoDB server, the
event-source mapping that feeds the Lambda handler as AWS would, a shard reader, and the source simulator
and producer that write changes to the raw stream. It imports `streaming` (the handler's package) and
never the platform; the platform composes it with the Bronze loader in inventory_platform.cdc.local_pipeline.
"""
