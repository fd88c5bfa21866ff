"""The local stand-in for AWS: a moto server on 127.0.0.1 that the project starts and stops itself.

State (pid, port) lives in <data dir>/streaming/endpoint.json so that `stream up`, `produce`, `run`,
`status` and `down` in separate processes find the same endpoint. The server keeps streams in memory:
`down` discards them (the Bronze table and its checkpoints live in DuckDB and survive).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

LOCAL_REGION = "us-east-1"


@dataclass(frozen=True)
class StreamNames:
    raw: str
    clean: str
    dlq: str
    dedup_table: str

    @classmethod
    def from_prefix(cls, prefix: str) -> StreamNames:
        return cls(raw=f"{prefix}-raw", clean=f"{prefix}-clean", dlq=f"{prefix}-dlq", dedup_table=f"{prefix}-dedup")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _responds(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
        return True
    except OSError:
        return False


class LocalEndpoint:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.state_file = state_dir / "endpoint.json"

    def url(self) -> str | None:
        if not self.state_file.exists():
            return None
        state = json.loads(self.state_file.read_text())
        return state["url"] if _responds(state["url"]) else None

    def up(self, timeout_s: float = 30.0) -> str:
        if url := self.url():
            return url
        self.state_dir.mkdir(parents=True, exist_ok=True)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(self.state_dir / "moto_server.log", "ab")
        process = subprocess.Popen([sys.executable, "-m", "streaming.local.moto_server", "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while not _responds(url):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"moto_server did not start on {url}; see {self.state_dir / 'moto_server.log'}")
            time.sleep(0.1)
        self.state_file.write_text(json.dumps({"pid": process.pid, "url": url}))
        return url

    def down(self) -> bool:
        if not self.state_file.exists():
            return False
        pid = json.loads(self.state_file.read_text())["pid"]
        try:
            os.killpg(pid, signal.SIGTERM)
            for _ in range(50):
                os.kill(pid, 0)
                time.sleep(0.1)
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.state_file.unlink(missing_ok=True)
        return True


def aws_client(service: str, endpoint_url: str | None):
    """A boto3 client for the local endpoint (dummy credentials) or, with no endpoint, for AWS itself."""
    import boto3  # not at import: the Dagster code location imports this module and talks to AWS in few runs

    if endpoint_url is None:
        return boto3.client(service)
    return boto3.client(service, endpoint_url=endpoint_url, region_name=LOCAL_REGION,
                        aws_access_key_id="local", aws_secret_access_key="local")


def ensure_streams(kinesis, dynamodb, names: StreamNames, shards: dict[str, int]) -> None:
    """Create the raw, clean and dead-letter streams and the dedup table if they do not exist."""
    existing = set(kinesis.list_streams()["StreamNames"])
    for name in (names.raw, names.clean, names.dlq):
        if name not in existing:
            kinesis.create_stream(StreamName=name, ShardCount=shards.get(name, 1))
    for name in (names.raw, names.clean, names.dlq):
        kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    if names.dedup_table not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(TableName=names.dedup_table, BillingMode="PAY_PER_REQUEST",
                              AttributeDefinitions=[{"AttributeName": "dedup_key", "AttributeType": "S"}],
                              KeySchema=[{"AttributeName": "dedup_key", "KeyType": "HASH"}])
        dynamodb.get_waiter("table_exists").wait(TableName=names.dedup_table)
