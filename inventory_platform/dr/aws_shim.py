"""The few AWS CLI calls ops_runbooks/dr_failover.sh makes, through boto3, for machines without the CLI.

    python -m inventory_platform.dr.aws_shim SERVICE OPERATION [--region R] [--query JMESPATH] [--output text|json] [--param value ...]

Parameters are the CLI's kebab-case names; their types (integers, booleans, JSON structures) come from
botocore's service model, as in the CLI. The endpoint comes from AWS_ENDPOINT_URL, as in the CLI.
"""

from __future__ import annotations

import json
import sys

import boto3
import jmespath
from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError


def _convert(shape, raw: str):
    if shape.type_name in ("integer", "long"):
        return int(raw)
    if shape.type_name == "boolean":
        return raw.lower() == "true"
    if shape.type_name in ("structure", "list", "map"):
        return json.loads(raw)
    return raw


def _text(value) -> str:
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        return "\t".join(str(v) for v in value)
    return str(value) if not isinstance(value, (dict, list)) else json.dumps(value, default=str)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    service, operation, rest = argv[0], argv[1], argv[2:]
    if len(rest) % 2:
        print(f"aws_shim: every option takes one value, got {rest}", file=sys.stderr)
        return 2
    options = dict(zip(rest[0::2], rest[1::2], strict=True))
    region, query, output = options.pop("--region", None), options.pop("--query", None), options.pop("--output", "json")
    client = boto3.client(service, region_name=region)
    method = operation.replace("-", "_")
    if method not in client.meta.method_to_api_mapping:
        print(f"aws_shim: {service} has no operation {operation}", file=sys.stderr)
        return 2
    members = client.meta.service_model.operation_model(client.meta.method_to_api_mapping[method]).input_shape.members
    by_flag = {"--" + xform_name(name).replace("_", "-"): name for name in members}
    params = {}
    for flag, raw in options.items():
        if flag not in by_flag:
            print(f"aws_shim: {service} {operation} has no parameter {flag}", file=sys.stderr)
            return 2
        params[by_flag[flag]] = _convert(members[by_flag[flag]], raw)
    try:
        result = getattr(client, method)(**params)
    except (ClientError, BotoCoreError) as exc:
        print(f"\nAn error occurred {exc}", file=sys.stderr)
        return 254
    result.pop("ResponseMetadata", None)
    if query:
        result = jmespath.search(query, result)
    print(_text(result) if output == "text" else json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
