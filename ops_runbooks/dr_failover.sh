#!/usr/bin/env bash
# Fail the Redshift warehouse over to the DR region (runbook: ops_runbooks/runbook_dr.md).
#
#   provisioned: ensure cross-region snapshot copy -> manual snapshot -> wait for it in both regions
#                -> restore-from-cluster-snapshot in the DR region -> wait available -> Route 53 CNAME UPSERT
#   serverless:  snapshot of the namespace -> wait in both regions (copy configuration must exist)
#                -> restore-from-snapshot into the DR namespace/workgroup -> wait -> Route 53 CNAME UPSERT
#
# Every wait has an explicit timeout and fails the script when it passes. --dry-run prints every AWS
# call (one per line, prefixed "DRY-RUN:") and makes none. The AWS CLI is `aws`, or AWS_CLI (e.g.
# "python -m inventory_platform.dr.aws_shim" where the CLI is not installed); AWS_ENDPOINT_URL
# points both at a local moto server in tests.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: dr_failover.sh [--dry-run] [--mode provisioned|serverless] --source-region R --dr-region R
         --hosted-zone-id Z --record-name NAME [--ttl 60] [--snapshot-id ID]
         provisioned: --cluster-id ID [--dr-cluster-id ID] [--node-type T] [--subnet-group G]
                      [--copy-retention-days 7] [--copy-grant NAME]
         serverless:  --namespace NS --dr-namespace NS --dr-workgroup WG
         timeouts (s): [--snapshot-timeout 3600] [--restore-timeout 5400] [--dns-timeout 600] [--poll-interval 30]
Every flag has an env equivalent: DR_MODE, DR_SOURCE_REGION, DR_REGION, DR_HOSTED_ZONE_ID, DR_RECORD_NAME,
DR_TTL, DR_SNAPSHOT_ID, DR_CLUSTER_ID, DR_DR_CLUSTER_ID, DR_NODE_TYPE, DR_SUBNET_GROUP, DR_COPY_RETENTION_DAYS,
DR_COPY_GRANT, DR_NAMESPACE, DR_DR_NAMESPACE, DR_DR_WORKGROUP, DR_SNAPSHOT_TIMEOUT, DR_RESTORE_TIMEOUT,
DR_DNS_TIMEOUT, DR_POLL_INTERVAL, DR_DRY_RUN=1.
USAGE
}

MODE="${DR_MODE:-provisioned}"
SOURCE_REGION="${DR_SOURCE_REGION:-}"
TARGET_REGION="${DR_REGION:-}"
HOSTED_ZONE_ID="${DR_HOSTED_ZONE_ID:-}"
RECORD_NAME="${DR_RECORD_NAME:-}"
TTL="${DR_TTL:-60}"
SNAPSHOT_ID="${DR_SNAPSHOT_ID:-}"
CLUSTER_ID="${DR_CLUSTER_ID:-}"
DR_CLUSTER_ID="${DR_DR_CLUSTER_ID:-}"
NODE_TYPE="${DR_NODE_TYPE:-}"
SUBNET_GROUP="${DR_SUBNET_GROUP:-}"
COPY_RETENTION_DAYS="${DR_COPY_RETENTION_DAYS:-7}"
COPY_GRANT="${DR_COPY_GRANT:-}"
NAMESPACE="${DR_NAMESPACE:-}"
DR_NAMESPACE="${DR_DR_NAMESPACE:-}"
DR_WORKGROUP="${DR_DR_WORKGROUP:-}"
SNAPSHOT_TIMEOUT="${DR_SNAPSHOT_TIMEOUT:-3600}"
RESTORE_TIMEOUT="${DR_RESTORE_TIMEOUT:-5400}"
DNS_TIMEOUT="${DR_DNS_TIMEOUT:-600}"
POLL_INTERVAL="${DR_POLL_INTERVAL:-30}"
DRY_RUN="${DR_DRY_RUN:-0}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --dry-run) DRY_RUN=1; shift ;;
    --mode) MODE="$2"; shift 2 ;;
    --source-region) SOURCE_REGION="$2"; shift 2 ;;
    --dr-region) TARGET_REGION="$2"; shift 2 ;;
    --hosted-zone-id) HOSTED_ZONE_ID="$2"; shift 2 ;;
    --record-name) RECORD_NAME="$2"; shift 2 ;;
    --ttl) TTL="$2"; shift 2 ;;
    --snapshot-id) SNAPSHOT_ID="$2"; shift 2 ;;
    --cluster-id) CLUSTER_ID="$2"; shift 2 ;;
    --dr-cluster-id) DR_CLUSTER_ID="$2"; shift 2 ;;
    --node-type) NODE_TYPE="$2"; shift 2 ;;
    --subnet-group) SUBNET_GROUP="$2"; shift 2 ;;
    --copy-retention-days) COPY_RETENTION_DAYS="$2"; shift 2 ;;
    --copy-grant) COPY_GRANT="$2"; shift 2 ;;
    --namespace) NAMESPACE="$2"; shift 2 ;;
    --dr-namespace) DR_NAMESPACE="$2"; shift 2 ;;
    --dr-workgroup) DR_WORKGROUP="$2"; shift 2 ;;
    --snapshot-timeout) SNAPSHOT_TIMEOUT="$2"; shift 2 ;;
    --restore-timeout) RESTORE_TIMEOUT="$2"; shift 2 ;;
    --dns-timeout) DNS_TIMEOUT="$2"; shift 2 ;;
    --poll-interval) POLL_INTERVAL="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "dr_failover: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done

die() { echo "dr_failover: $*" >&2; exit 1; }
require() { for name in "$@"; do [[ -n "${!name}" ]] || die "missing ${name} (see --help)"; done; }

require SOURCE_REGION TARGET_REGION HOSTED_ZONE_ID RECORD_NAME
case "$MODE" in
  provisioned) require CLUSTER_ID; DR_CLUSTER_ID="${DR_CLUSTER_ID:-${CLUSTER_ID}-dr}" ;;
  serverless) require NAMESPACE DR_NAMESPACE DR_WORKGROUP ;;
  *) die "--mode must be provisioned or serverless, got ${MODE}" ;;
esac
SNAPSHOT_ID="${SNAPSHOT_ID:-dr-${CLUSTER_ID:-$NAMESPACE}-$(date -u +%Y%m%d%H%M%S)}"
if [[ -z "${AWS_CLI:-}" ]] && ! command -v aws >/dev/null; then
  AWS_CLI="python3 -m inventory_platform.dr.aws_shim"  # no AWS CLI installed: the same calls through boto3
fi
read -r -a AWS <<< "${AWS_CLI:-aws}"

# aws FAKE_OUTPUT ARGS...: run the AWS CLI, or in dry-run print the call and answer FAKE_OUTPUT.
aws_call() {
  local fake="$1"; shift
  if [[ "$DRY_RUN" == 1 ]]; then
    printf 'DRY-RUN: aws' >&2; printf ' %q' "$@" >&2; printf '\n' >&2
    printf '%s\n' "$fake"
  else
    "${AWS[@]}" "$@"
  fi
}

# wait_for WHAT TIMEOUT WANT FAKE ARGS...: poll an AWS call (text output) until it prints WANT.
wait_for() {
  local what="$1" timeout="$2" want="$3" fake="$4"; shift 4
  local deadline=$((SECONDS + timeout)) got
  while true; do
    got="$(aws_call "$fake" "$@" 2>/dev/null || true)"
    [[ "$DRY_RUN" == 1 ]] && aws_call "$fake" "$@" >/dev/null
    [[ "$got" == "$want" ]] && { echo "dr_failover: ${what}: ${got}" >&2; return 0; }
    (( SECONDS >= deadline )) && die "timed out after ${timeout} s waiting for ${what} (last state: ${got:-none})"
    echo "dr_failover: waiting for ${what} (state: ${got:-none})" >&2
    sleep "$POLL_INTERVAL"
  done
}

failover_provisioned() {
  local copy_region
  copy_region="$(aws_call None redshift describe-clusters --region "$SOURCE_REGION" --cluster-identifier "$CLUSTER_ID" \
    --query 'Clusters[0].ClusterSnapshotCopyStatus.DestinationRegion' --output text)"
  if [[ "$copy_region" != "$TARGET_REGION" ]]; then
    local grant=()
    [[ -n "$COPY_GRANT" ]] && grant=(--snapshot-copy-grant-name "$COPY_GRANT")
    aws_call '' redshift enable-snapshot-copy --region "$SOURCE_REGION" --cluster-identifier "$CLUSTER_ID" \
      --destination-region "$TARGET_REGION" --retention-period "$COPY_RETENTION_DAYS" \
      --manual-snapshot-retention-period "$COPY_RETENTION_DAYS" "${grant[@]}" --output text >/dev/null
  fi
  aws_call "$SNAPSHOT_ID" redshift create-cluster-snapshot --region "$SOURCE_REGION" --cluster-identifier "$CLUSTER_ID" \
    --snapshot-identifier "$SNAPSHOT_ID" --query 'Snapshot.SnapshotIdentifier' --output text >/dev/null
  wait_for "snapshot ${SNAPSHOT_ID} in ${SOURCE_REGION}" "$SNAPSHOT_TIMEOUT" available available \
    redshift describe-cluster-snapshots --region "$SOURCE_REGION" --snapshot-identifier "$SNAPSHOT_ID" \
    --query 'Snapshots[0].Status' --output text
  # With snapshot copy enabled, Redshift copies the manual snapshot to the DR region itself.
  wait_for "snapshot ${SNAPSHOT_ID} copied to ${TARGET_REGION}" "$SNAPSHOT_TIMEOUT" available available \
    redshift describe-cluster-snapshots --region "$TARGET_REGION" --snapshot-identifier "$SNAPSHOT_ID" \
    --query 'Snapshots[0].Status' --output text
  local extra=()
  [[ -n "$NODE_TYPE" ]] && extra+=(--node-type "$NODE_TYPE")
  [[ -n "$SUBNET_GROUP" ]] && extra+=(--cluster-subnet-group-name "$SUBNET_GROUP")
  aws_call "$DR_CLUSTER_ID" redshift restore-from-cluster-snapshot --region "$TARGET_REGION" \
    --cluster-identifier "$DR_CLUSTER_ID" --snapshot-identifier "$SNAPSHOT_ID" "${extra[@]}" \
    --query 'Cluster.ClusterIdentifier' --output text >/dev/null
  wait_for "cluster ${DR_CLUSTER_ID} in ${TARGET_REGION}" "$RESTORE_TIMEOUT" available available \
    redshift describe-clusters --region "$TARGET_REGION" --cluster-identifier "$DR_CLUSTER_ID" \
    --query 'Clusters[0].ClusterStatus' --output text
  ENDPOINT="$(aws_call "${DR_CLUSTER_ID}.dry-run.${TARGET_REGION}.redshift.amazonaws.com" redshift describe-clusters \
    --region "$TARGET_REGION" --cluster-identifier "$DR_CLUSTER_ID" --query 'Clusters[0].Endpoint.Address' --output text)"
}

failover_serverless() {
  # Cross-region copy needs `aws redshift-serverless create-snapshot-copy-configuration` set up beforehand.
  aws_call "$SNAPSHOT_ID" redshift-serverless create-snapshot --region "$SOURCE_REGION" --namespace-name "$NAMESPACE" \
    --snapshot-name "$SNAPSHOT_ID" --query 'snapshot.snapshotName' --output text >/dev/null
  wait_for "snapshot ${SNAPSHOT_ID} in ${SOURCE_REGION}" "$SNAPSHOT_TIMEOUT" AVAILABLE AVAILABLE \
    redshift-serverless get-snapshot --region "$SOURCE_REGION" --snapshot-name "$SNAPSHOT_ID" \
    --query 'snapshot.status' --output text
  wait_for "snapshot ${SNAPSHOT_ID} copied to ${TARGET_REGION}" "$SNAPSHOT_TIMEOUT" AVAILABLE AVAILABLE \
    redshift-serverless get-snapshot --region "$TARGET_REGION" --snapshot-name "$SNAPSHOT_ID" \
    --query 'snapshot.status' --output text
  aws_call "$DR_NAMESPACE" redshift-serverless restore-from-snapshot --region "$TARGET_REGION" \
    --namespace-name "$DR_NAMESPACE" --workgroup-name "$DR_WORKGROUP" --snapshot-name "$SNAPSHOT_ID" \
    --query 'namespace.namespaceName' --output text >/dev/null
  wait_for "namespace ${DR_NAMESPACE} in ${TARGET_REGION}" "$RESTORE_TIMEOUT" AVAILABLE AVAILABLE \
    redshift-serverless get-namespace --region "$TARGET_REGION" --namespace-name "$DR_NAMESPACE" \
    --query 'namespace.status' --output text
  ENDPOINT="$(aws_call "${DR_WORKGROUP}.dry-run.${TARGET_REGION}.redshift-serverless.amazonaws.com" redshift-serverless \
    get-workgroup --region "$TARGET_REGION" --workgroup-name "$DR_WORKGROUP" --query 'workgroup.endpoint.address' --output text)"
}

switch_dns() {
  local batch change_id
  batch="$(printf '{"Comment":"DR failover to %s","Changes":[{"Action":"UPSERT","ResourceRecordSet":{"Name":"%s","Type":"CNAME","TTL":%d,"ResourceRecords":[{"Value":"%s"}]}}]}' \
    "$TARGET_REGION" "$RECORD_NAME" "$TTL" "$ENDPOINT")"
  change_id="$(aws_call /change/DRYRUN route53 change-resource-record-sets --hosted-zone-id "$HOSTED_ZONE_ID" \
    --change-batch "$batch" --query 'ChangeInfo.Id' --output text)"
  wait_for "DNS change ${change_id}" "$DNS_TIMEOUT" INSYNC INSYNC route53 get-change --id "$change_id" \
    --query 'ChangeInfo.Status' --output text
}

echo "dr_failover: ${MODE} failover ${SOURCE_REGION} -> ${TARGET_REGION}, snapshot ${SNAPSHOT_ID}$([[ "$DRY_RUN" == 1 ]] && echo ' (dry run: no AWS call is made)')" >&2
ENDPOINT=""
"failover_${MODE}"
[[ -n "$ENDPOINT" && "$ENDPOINT" != None ]] || die "the restored warehouse has no endpoint address"
switch_dns
echo "dr_failover: ${RECORD_NAME} -> ${ENDPOINT}. Next: verify (runbook_dr.md, section Verification)." >&2
echo "$ENDPOINT"
