"""A backup directory mirrored to an S3-compatible bucket: `s3://bucket/prefix/<backup id>/...`.

boto3 reads the endpoint from AWS_ENDPOINT_URL (the local moto server in development and tests).
"""

from __future__ import annotations

from pathlib import Path

import boto3


def parse_s3_url(url: str) -> tuple[str, str]:
    if not url.startswith("s3://") or not url[5:].split("/", 1)[0]:
        raise ValueError(f"expected s3://bucket[/prefix], got {url!r}")
    bucket, _, prefix = url[5:].partition("/")
    return bucket, prefix.strip("/")


def _key(prefix: str, *parts: str) -> str:
    return "/".join(p for p in (prefix, *parts) if p)


def upload_backup(backup_dir: Path, url: str) -> int:
    bucket, prefix = parse_s3_url(url)
    s3 = boto3.client("s3")
    count = 0
    for path in sorted(p for p in backup_dir.rglob("*") if p.is_file()):
        s3.upload_file(str(path), bucket, _key(prefix, backup_dir.name, path.relative_to(backup_dir).as_posix()))
        count += 1
    return count


def latest_backup_id(url: str) -> str:
    bucket, prefix = parse_s3_url(url)
    pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=_key(prefix, ""))
    ids = sorted({obj["Key"][len(prefix) + 1 if prefix else 0:].split("/")[0]
                  for page in pages for obj in page.get("Contents", []) if obj["Key"].endswith("/manifest.json")})
    if not ids:
        raise FileNotFoundError(f"no backup (no */manifest.json) under {url}")
    return ids[-1]


def download_backup(url: str, backup_id: str, dest_root: Path) -> Path:
    """Fetch one backup into `<dest_root>/<backup id>/` (the manifest last, so a partial fetch is not a backup)."""
    bucket, prefix = parse_s3_url(url)
    s3 = boto3.client("s3")
    base = _key(prefix, backup_id) + "/"
    keys = [obj["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base)
            for obj in page.get("Contents", [])]
    if not keys:
        raise FileNotFoundError(f"backup {backup_id!r} not found under {url}")
    dest = dest_root / backup_id
    for key in sorted(keys, key=lambda k: k.endswith("/manifest.json")):
        path = dest / key[len(base):]
        path.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(path))
    return dest
