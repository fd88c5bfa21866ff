"""`dagster dev` (the webserver and the daemon `make dev` runs) for a bench section, on a free 127.0.0.1 port,
and a client of the webserver's GraphQL API (what the UI sends)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from inventory_platform.dashboard.server import dagster_dev_command
from inventory_platform.settings import REPO_ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    """One request to the Dagster webserver's GraphQL endpoint on 127.0.0.1; GraphQL errors raise."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    if body.get("errors"):
        raise AssertionError(f"GraphQL errors: {body['errors']}")
    return body["data"]


@contextmanager
def dagster_dev(env: dict[str, str], log_path: Path, timeout_s: float = 300) -> Iterator[int]:
    """`dagster dev` with `env`, serving the code location's assets; yields its port, stops it afterwards."""
    port = free_port()
    with log_path.open("w") as log:
        server = subprocess.Popen(dagster_dev_command(port), cwd=REPO_ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + timeout_s
            while not _serving(port):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"dagster dev did not serve the code location; see {log_path}")
                time.sleep(1)
            yield port
        finally:
            os.killpg(server.pid, signal.SIGINT)  # dagster dev stops its webserver and daemon on SIGINT
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def _serving(port: int) -> bool:
    try:
        return bool(graphql(port, "{ assetNodes { id } }")["assetNodes"])
    except (OSError, KeyError, TypeError, AssertionError):
        return False
