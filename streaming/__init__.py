"""CDC streaming: event contract, producer, Lambda handler, local event-source mapping and Bronze loader.

`contract` and `lambda_handler` import only boto3, pydantic and aws-lambda-powertools so that the
Lambda deployment package stays small; the rest runs on the platform side.
"""
