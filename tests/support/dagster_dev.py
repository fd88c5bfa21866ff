"""`dagster dev` on a free 127.0.0.1 port, as `make dev` starts it, and a GraphQL client for it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# The webserver's GraphQL client is the bench's.
from inventory_platform.bench.dagster_dev_server import free_port, graphql
from inventory_platform.settings import REPO_ROOT

VENV_BIN = Path(sys.executable).parent
READY_QUERY = "{ assetNodes { id } }"


def new_dagster_home(path: Path) -> Path:
    """A DAGSTER_HOME with the repository's instance settings (telemetry off, the DuckDB writer pool)."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / ".dagster_home" / "dagster.yaml", path / "dagster.yaml")
    return path


def dagster_dev_env(dagster_home: Path, **inventory_env: str) -> dict[str, str]:
    """The environment of the test process plus the given INVENTORY_* settings; dbt on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")}
    env.update(inventory_env, DAGSTER_HOME=str(dagster_home), DAGSTER_DISABLE_TELEMETRY="1",
               PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    return env


def _default_interrupt_handling() -> None:
    # A shell without job control starts background jobs with SIGINT ignored, and the children would
    # inherit that; dagster dev stops its webserver and daemon with SIGINT, so restore the default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


class DagsterDev:
    """A `dagster dev -w workspace.yaml` process on a free loopback port, in its own process group
    so the webserver, daemon and code server stop together."""

    def __init__(self, env: dict[str, str], log_path: Path, with_dashboard: bool = False):
        """with_dashboard: `inventory-platform dev`, as `make dev` runs it: the dashboard beside the UI."""
        self.port = free_port()
        self.dashboard_port = free_port() if with_dashboard else None
        self.log_path = log_path
        self._log = log_path.open("w")
        command = ([str(VENV_BIN / "inventory-platform"), "dev", "--dagster-port", str(self.port),
                    "--dashboard-port", str(self.dashboard_port)] if with_dashboard else
                   [str(VENV_BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(self.port)])
        self._proc = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                      start_new_session=True, preexec_fn=_default_interrupt_handling)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def dashboard_url(self) -> str:
        return f"http://127.0.0.1:{self.dashboard_port}"

    def wait_until_serving(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if graphql(self.port, READY_QUERY)["assetNodes"] and self._dashboard_serving():
                    return
            except (OSError, KeyError, TypeError, AssertionError):
                pass
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dagster dev did not serve assets; log:\n{self.log_path.read_text()[-3000:]}")
            time.sleep(1)

    def _dashboard_serving(self) -> bool:
        if self.dashboard_port is None:
            return True
        with urllib.request.urlopen(f"{self.dashboard_url}/_stcore/health", timeout=10) as response:
            return response.read() == b"ok"

    def stop(self) -> None:
        if self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()
        self._log.close()


@contextmanager
def running_dagster_dev(env: dict[str, str], log_path: Path, timeout: float = 180) -> Iterator[int]:
    """Start `dagster dev` and yield its port once the code location serves assets."""
    dev = DagsterDev(env, log_path)
    try:
        dev.wait_until_serving(timeout)
        yield dev.port
    finally:
        dev.stop()
