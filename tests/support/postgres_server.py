"""A throwaway PostgreSQL server on 127.0.0.1 and a free port, started from the installed binaries.

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (runuser).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    database: str

    def env(self) -> dict[str, str]:
        return {"PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": self.user,
                "PGDATABASE": self.database, "PGPASSWORD": ""}


def postgres_bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if not candidates:
        on_path = shutil.which("pg_ctl")
        if not on_path:
            raise RuntimeError("PostgreSQL server binaries not found (install postgresql-15; .ci/run does)")
        return Path(on_path).parent
    preferred = [c for c in candidates if "/15/" in c]
    return Path((preferred or candidates)[0]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def running_postgres(database: str = "inventory") -> Iterator[PostgresServer]:
    bin_dir = postgres_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="inventory-pg-"))
    data_dir, socket_dir = root / "data", root / "sock"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(socket_dir, "postgres")
    port = _free_port()
    run = lambda *args: subprocess.run(_as_server_user([str(bin_dir / args[0]), *args[1:]]),  # noqa: E731
                                       check=True, capture_output=True, text=True)
    try:
        run("initdb", "-D", str(data_dir), "-A", "trust", "-U", "postgres", "--no-sync")
        options = f"-h 127.0.0.1 -p {port} -k {socket_dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        run("pg_ctl", "-D", str(data_dir), "-o", options, "-l", str(root / "server.log"), "-w", "-t", "60", "start")
        subprocess.run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", database],
                       check=True, capture_output=True, text=True)
        yield PostgresServer("127.0.0.1", port, "postgres", database)
    finally:
        if (data_dir / "postmaster.pid").exists():
            subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "immediate", "stop"]),
                           capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
