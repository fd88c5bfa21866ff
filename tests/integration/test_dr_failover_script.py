"""ops_runbooks/dr_failover.sh: the dry run prints the whole call sequence and calls nothing; the real run
drives the AWS CLI against the local moto server (Redshift and Route 53), with its timeouts enforced."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import boto3
import pytest

from inventory_platform.dr.s3_store import download_backup, latest_backup_id, upload_backup
from inventory_platform.settings import REPO_ROOT
from streaming.local.local_endpoint import LocalEndpoint

SCRIPT = REPO_ROOT / "ops_runbooks" / "dr_failover.sh"
COMMON = ["--source-region", "us-east-1", "--dr-region", "us-west-2", "--record-name", "warehouse.example.internal",
          "--snapshot-id", "snap-dr-test", "--poll-interval", "1"]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=120)


def dry_run_calls(stderr: str) -> list[str]:
    return [line.split()[2] + " " + line.split()[3] for line in stderr.splitlines() if line.startswith("DRY-RUN: aws ")]


def test_dry_run_prints_the_provisioned_sequence_without_calling_aws(tmp_path):
    # An `aws` that records any call: the dry run must not make one.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "aws").write_text(f"#!/bin/sh\necho \"$@\" >> {tmp_path}/called\nexit 1\n")
    (fake / "aws").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"}
    proc = run(["--dry-run", "--hosted-zone-id", "Z123", "--cluster-id", "prod-wh", *COMMON], env)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "called").exists()
    assert dry_run_calls(proc.stderr) == [
        "redshift describe-clusters", "redshift enable-snapshot-copy", "redshift create-cluster-snapshot",
        "redshift describe-cluster-snapshots", "redshift describe-cluster-snapshots",
        "redshift restore-from-cluster-snapshot", "redshift describe-clusters", "redshift describe-clusters",
        "route53 change-resource-record-sets", "route53 get-change"]
    assert "--region us-west-2 --cluster-identifier prod-wh-dr --snapshot-identifier snap-dr-test" in proc.stderr
    assert '\\"Action\\":\\"UPSERT\\"' in proc.stderr and '\\"Type\\":\\"CNAME\\"' in proc.stderr
    assert proc.stdout.strip() == "prod-wh-dr.dry-run.us-west-2.redshift.amazonaws.com"


def test_dry_run_serverless_sequence_and_missing_parameters(tmp_path):
    proc = run(["--dry-run", "--mode", "serverless", "--hosted-zone-id", "Z123", "--namespace", "inv",
                "--dr-namespace", "inv-dr", "--dr-workgroup", "inv-dr-wg", *COMMON], dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    assert dry_run_calls(proc.stderr) == [
        "redshift-serverless create-snapshot", "redshift-serverless get-snapshot", "redshift-serverless get-snapshot",
        "redshift-serverless restore-from-snapshot", "redshift-serverless get-namespace",
        "redshift-serverless get-workgroup", "route53 change-resource-record-sets", "route53 get-change"]
    missing = run(["--dry-run", "--cluster-id", "prod-wh", *COMMON], dict(os.environ))
    assert missing.returncode != 0 and "missing HOSTED_ZONE_ID" in missing.stderr


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory):
    endpoint = LocalEndpoint(tmp_path_factory.mktemp("moto"))
    yield endpoint.up()
    endpoint.down()


@pytest.fixture
def moto_env(moto_url, monkeypatch):
    env = {"AWS_ENDPOINT_URL": moto_url, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
           "AWS_DEFAULT_REGION": "us-east-1"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return {**os.environ, **env}


def test_backup_round_trip_through_s3_bucket(moto_env, tmp_path):
    """`dr backup --s3` / `dr failover --s3` move a backup directory through the bucket unchanged."""
    backup = tmp_path / "backups" / "20260101T000000000000Z"
    (backup / "landing" / "day=1").mkdir(parents=True)
    (backup / "warehouse.duckdb").write_bytes(os.urandom(300_000))
    (backup / "landing" / "day=1" / "part.parquet").write_bytes(b"parquet bytes")
    (backup / "manifest.json").write_text('{"backup_id": "20260101T000000000000Z"}')
    client("s3", moto_env).create_bucket(Bucket="inventory-dr")
    assert upload_backup(backup, "s3://inventory-dr/site-a") == 3
    assert latest_backup_id("s3://inventory-dr/site-a") == backup.name
    fetched = download_backup("s3://inventory-dr/site-a", backup.name, tmp_path / "fetched")
    files = sorted(p.relative_to(backup) for p in backup.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(fetched) for p in fetched.rglob("*") if p.is_file())
    assert all((backup / f).read_bytes() == (fetched / f).read_bytes() for f in files)
    with pytest.raises(FileNotFoundError, match="no backup"):
        latest_backup_id("s3://inventory-dr/other-site")


def client(service: str, env: dict, region: str = "us-east-1"):
    return boto3.client(service, endpoint_url=env["AWS_ENDPOINT_URL"], region_name=region,
                        aws_access_key_id="local", aws_secret_access_key="local")


SHIM = f"{sys.executable} -m inventory_platform.dr.aws_shim"


@pytest.mark.parametrize("aws_cli", ["aws", SHIM], ids=["aws-cli", "boto3-shim"])
def test_failover_against_moto_restores_in_dr_region_and_switches_dns(moto_env, aws_cli):
    if aws_cli == "aws" and shutil.which("aws") is None:
        pytest.skip("the AWS CLI is not installed here; the boto3-shim variant makes the same calls")
    env = {**moto_env, "AWS_CLI": aws_cli}
    name = "wh-cli" if aws_cli == "aws" else "wh-shim"  # both variants share one moto server
    cluster = {"NodeType": "ra3.xlplus", "ClusterType": "single-node", "MasterUsername": "admin",
               "MasterUserPassword": "Local-only-1"}
    client("redshift", env).create_cluster(ClusterIdentifier=name, **cluster)
    zone = client("route53", env).create_hosted_zone(Name="example.internal", CallerReference=name)["HostedZone"]["Id"]
    args = ["--hosted-zone-id", zone, "--cluster-id", name, "--source-region", "us-east-1", "--dr-region", "us-west-2",
            "--record-name", "warehouse.example.internal", "--poll-interval", "1"]

    # moto does not perform Redshift's cross-region copy: without it the script times out, as it must.
    timed_out = run([*args, "--snapshot-id", f"{name}-a", "--snapshot-timeout", "2"], env)
    assert timed_out.returncode == 1, timed_out.stderr
    assert f"timed out after 2 s waiting for snapshot {name}-a copied to us-west-2" in timed_out.stderr
    # Stand in for the copy AWS makes: the same snapshot in the DR region.
    west = client("redshift", env, "us-west-2")
    west.create_cluster(ClusterIdentifier=name, **cluster)
    west.create_cluster_snapshot(SnapshotIdentifier=f"{name}-b", ClusterIdentifier=name)

    proc = run([*args, "--snapshot-id", f"{name}-b", "--snapshot-timeout", "20"], env)
    assert proc.returncode == 0, proc.stderr
    restored = west.describe_clusters(ClusterIdentifier=f"{name}-dr")["Clusters"][0]
    assert proc.stdout.strip() == restored["Endpoint"]["Address"]
    source = client("redshift", env).describe_clusters(ClusterIdentifier=name)["Clusters"][0]
    assert source["ClusterSnapshotCopyStatus"]["DestinationRegion"] == "us-west-2"
    records = client("route53", env).list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    assert [(r["Name"].rstrip("."), r["ResourceRecords"][0]["Value"]) for r in records if r["Type"] == "CNAME"] == [
        ("warehouse.example.internal", restored["Endpoint"]["Address"])]
