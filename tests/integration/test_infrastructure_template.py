"""The production CloudFormation template (ops_runbooks/infrastructure/platform.yaml) lints clean with
cfn-lint and keeps its least-privilege and data-protection properties. Offline: nothing is deployed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.decode import decode

from inventory_platform.settings import REPO_ROOT

TEMPLATE = REPO_ROOT / "ops_runbooks" / "infrastructure" / "platform.yaml"
CFN_LINT = Path(sys.executable).parent / "cfn-lint"

# Actions that support no resource-level permissions, so AWS only accepts Resource "*" for them.
RESOURCE_STAR_ALLOWED = {
    "redshift-data:DescribeStatement", "redshift-data:GetStatementResult",
    "redshift-data:CancelStatement", "redshift-data:ListStatements",
    "cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics",
}


def run_cfn_lint(path: Path) -> list[dict]:
    """Every cfn-lint finding (errors, warnings and informational) for one template."""
    proc = subprocess.run([str(CFN_LINT), str(path), "--format", "json", "--include-checks", "I"],
                          capture_output=True, text=True, timeout=300)
    # Exit code: 0 clean, otherwise a bit mask (2 error, 4 warning, 8 informational); 1 is a crash.
    assert proc.returncode != 1, proc.stderr[-3000:]
    return json.loads(proc.stdout or "[]")


def describe(findings: list[dict]) -> str:
    return "\n".join(f"{f['Level']} {f['Rule']['Id']} line {f['Location']['Start']['LineNumber']}: {f['Message']}"
                     for f in findings)


@pytest.fixture(scope="module")
def template() -> dict:
    tpl, matches = decode(str(TEMPLATE))
    assert not matches, matches
    return tpl


@pytest.fixture(scope="module")
def resources(template) -> dict:
    return template["Resources"]


def as_list(value) -> list:
    return list(value) if isinstance(value, list) else [value]


def referenced(value) -> set[str]:
    """Logical ids a value points at through Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref":
                found.add(inner)
            elif key == "Fn::GetAtt":
                found.add(inner[0] if isinstance(inner, list) else inner.split(".")[0])
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)}
            else:
                found |= referenced(inner)
    elif isinstance(value, list):
        for item in value:
            found |= referenced(item)
    return found


def policy_documents(resources: dict):
    """(logical id, document) for every permissions policy and bucket policy in the template."""
    for name, res in resources.items():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                yield name, policy["PolicyDocument"]
        elif res["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy", "AWS::S3::BucketPolicy"):
            yield name, props["PolicyDocument"]


def statements(resources: dict, logical_id: str | None = None):
    for name, doc in policy_documents(resources):
        if logical_id is None or name == logical_id:
            for statement in doc["Statement"]:
                yield name, statement


def test_cfn_lint_reports_no_errors_or_warnings():
    findings = run_cfn_lint(TEMPLATE)
    blocking = [f for f in findings if f["Level"] in ("Error", "Warning")]
    assert not blocking, describe(blocking)


def test_cfn_lint_catches_a_broken_template(tmp_path):
    text = TEMPLATE.read_text()
    assert "      VersioningConfiguration:\n" in text
    broken = tmp_path / "platform_broken.yaml"
    broken.write_text(text.replace("      VersioningConfiguration:\n", "      VersioningConfig:\n", 1))
    errors = [f for f in run_cfn_lint(broken) if f["Level"] == "Error"]
    assert any(f["Rule"]["Id"] == "E3002" and f["Location"]["Path"][:2] == ["Resources", "DataBucket"]
               for f in errors), describe(errors)


def test_no_wildcard_actions_in_any_allow_statement(resources):
    checked = 0
    for name, statement in statements(resources):
        assert "NotAction" not in statement and "NotResource" not in statement, (name, statement)
        if statement["Effect"] != "Allow":
            continue
        for action in as_list(statement["Action"]):
            checked += 1
            assert "*" not in action, f"{name} {statement.get('Sid')}: wildcard action {action}"
    assert checked > 20


def test_resource_star_only_for_actions_without_resource_level_permissions(resources):
    for name, statement in statements(resources):
        if statement["Effect"] == "Allow" and "*" in as_list(statement["Resource"]):
            extra = set(as_list(statement["Action"])) - RESOURCE_STAR_ALLOWED
            assert not extra, f"{name} {statement.get('Sid')}: Resource '*' for {sorted(extra)}"


def test_deny_statements_only_enforce_tls_on_the_bucket(resources):
    denies = [(name, s) for name, s in statements(resources) if s["Effect"] == "Deny"]
    assert denies
    for name, statement in denies:
        assert resources[name]["Type"] == "AWS::S3::BucketPolicy"
        condition = json.dumps(statement["Condition"])
        assert "aws:SecureTransport" in condition or "s3:TlsVersion" in condition


def test_streaming_ingestion_role_reads_only_the_clean_stream(resources):
    role = resources["RedshiftStreamingRole"]
    principals = {p for s in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
                  for p in as_list(s["Principal"]["Service"])}
    assert "redshift.amazonaws.com" in principals
    granted = set()
    for _, statement in statements(resources, "RedshiftStreamingRole"):
        actions = as_list(statement["Action"])
        assert all(a.startswith("kinesis:") for a in actions), actions
        assert all(referenced(r) == {"CleanStream"} for r in as_list(statement["Resource"])), statement
        granted |= set(actions)
    assert granted == {"kinesis:DescribeStreamSummary", "kinesis:GetShardIterator", "kinesis:GetRecords",
                       "kinesis:ListShards", "kinesis:DescribeStream"}
    namespace = resources["RedshiftNamespace"]["Properties"]
    assert {"RedshiftStreamingRole"} in [referenced(r) for r in namespace["IamRoles"]]


def test_lake_role_is_the_namespace_default_and_limited_to_its_prefixes(resources):
    namespace = resources["RedshiftNamespace"]["Properties"]
    assert referenced(namespace["DefaultIamRoleArn"]) == {"RedshiftLakeRole"}
    reads, writes = set(), set()
    for _, statement in statements(resources, "RedshiftLakeRole"):
        for action in as_list(statement["Action"]):
            service = action.split(":")[0]
            assert service in ("s3", "glue"), action
            for resource in as_list(statement["Resource"]):
                if service == "glue":
                    assert "ColdTierGlueDatabase" in referenced(resource) or resource["Fn::Sub"].endswith(":catalog")
                elif action in ("s3:GetObject", "s3:PutObject"):
                    prefix = re.search(r"\}/(\w+)/\*$", resource["Fn::Sub"]).group(1)
                    (reads if action == "s3:GetObject" else writes).add(prefix)
                else:
                    assert referenced(resource) == {"DataBucket"}
    assert reads == {"landing", "cold"}
    assert writes == {"cold", "backups"}


def test_lambda_role_is_scoped_to_its_streams_table_and_queue(resources):
    targets: dict[str, set[str]] = {}
    for _, statement in statements(resources, "CdcProcessorRole"):
        refs = set().union(*(referenced(r) for r in as_list(statement["Resource"])))
        for action in as_list(statement["Action"]):
            targets.setdefault(action, set()).update(refs)
    assert targets["kinesis:GetRecords"] == {"RawStream"}
    assert targets["kinesis:PutRecords"] == {"CleanStream", "DlqStream"}
    assert all(refs == {"DedupTable"} for a, refs in targets.items() if a.startswith("dynamodb:"))
    assert targets["sqs:SendMessage"] == {"CdcFailureQueue"}
    assert targets["logs:PutLogEvents"] == {"CdcProcessorLogGroup"}


def test_bucket_is_private_encrypted_versioned_tls_only_with_lifecycle(resources):
    bucket = resources["DataBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"][k] is True for k in (
        "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"))
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    rules = {r.get("Prefix"): r for r in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["cold/"]["Transitions"][0]["StorageClass"] == "STANDARD_IA"
    assert "NoncurrentVersionExpiration" in rules["backups/"]
    tls = [s for _, s in statements(resources, "DataBucketPolicy") if s["Effect"] == "Deny"
           and s["Condition"].get("Bool", {}).get("aws:SecureTransport") == "false"]
    assert tls


def test_three_encrypted_cdc_streams_exist(resources):
    streams = {r["Properties"]["Name"]["Fn::Sub"]: r["Properties"] for r in resources.values()
               if r["Type"] == "AWS::Kinesis::Stream"}
    assert set(streams) == {"${EnvironmentName}-cdc-raw", "${EnvironmentName}-cdc-clean", "${EnvironmentName}-cdc-dlq"}
    for props in streams.values():
        assert props["StreamEncryption"] == {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}


def test_event_source_mapping_reports_item_failures_and_bisects(resources):
    esm = resources["CdcProcessorEventSourceMapping"]["Properties"]
    assert referenced(esm["EventSourceArn"]) == {"RawStream"}
    assert esm["BatchSize"] == 500
    assert esm["BisectBatchOnFunctionError"] is True
    assert list(esm["FunctionResponseTypes"]) == ["ReportBatchItemFailures"]
    assert isinstance(esm["MaximumRetryAttempts"], int)
    destination = esm["DestinationConfig"]["OnFailure"]["Destination"]
    assert resources[next(iter(referenced(destination)))]["Type"] == "AWS::SQS::Queue"
    function = resources["CdcProcessorFunction"]["Properties"]
    assert (function["Runtime"], function["Handler"]) == ("python3.11", "streaming.lambda_handler.handler")


def test_dedup_table_and_redshift_settings(resources):
    table = resources["DedupTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"]["Enabled"] is True
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    namespace = resources["RedshiftNamespace"]["Properties"]
    assert namespace["ManageAdminPassword"] is True and "AdminUserPassword" not in namespace
    workgroup = resources["RedshiftWorkgroup"]["Properties"]
    assert workgroup["PubliclyAccessible"] is False and workgroup["EnhancedVpcRouting"] is True


def test_no_literal_secrets(template):
    def keys(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                yield key
                yield from keys(inner)
        elif isinstance(value, list):
            for item in value:
                yield from keys(item)
    forbidden = {"AdminUserPassword", "MasterUserPassword", "SecretString", "Password"}
    assert not forbidden & set(keys(template))
