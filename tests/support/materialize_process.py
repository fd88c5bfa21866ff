"""`inventory-platform materialize` as a real subprocess that a test can SIGKILL at a chosen point of the run
(during Bronze, during dbt, during a commit) and restart, on a tmp warehouse and Dagster instance."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from inventory_platform.settings import DBT_PROJECT_DIR
from tests.support.fixed_history import FIXED_HISTORY_FRESHNESS_ENV

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "inventory_platform.cli", "materialize"]


@dataclass
class Workspace:
    """One warehouse and Dagster instance; the landing zone may be shared (Bronze only reads it)."""

    root: Path
    landing: Path

    @property
    def duckdb_path(self) -> Path:
        return self.root / "data" / "warehouse.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    def env(self) -> dict[str, str]:
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        if not (self.dagster_home / "dagster.yaml").exists():  # the project's pool limits: duckdb_writer = 1
            shutil.copy(REPO / ".dagster_home" / "dagster.yaml", self.dagster_home / "dagster.yaml")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INVENTORY_", "DAGSTER_HOME"))}
        return env | {
            "INVENTORY_ENV": "local",
            "INVENTORY_DATA_DIR": str(self.root / "data"),
            "INVENTORY_DUCKDB_PATH": str(self.duckdb_path),
            "INVENTORY_LANDING_DIR": str(self.landing),
            "INVENTORY_QUARANTINE_DIR": str(self.root / "data" / "quarantine"),
            "INVENTORY_DR_DIR": str(self.root / "dr"),
            **FIXED_HISTORY_FRESHNESS_ENV,
            "DAGSTER_HOME": str(self.dagster_home),
            "DAGSTER_DISABLE_TELEMETRY": "1",
            "PYTHONUNBUFFERED": "1",
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        }


class Materialize:
    """A running `inventory-platform materialize`, its output in a file."""

    def __init__(self, ws: Workspace, name: str, extra_env: dict[str, str] | None = None):
        self.workspace = ws
        ws.root.mkdir(parents=True, exist_ok=True)
        self.log = ws.root / f"{name}.log"
        self._out = self.log.open("w")
        # Its own session, so a test's cleanup can reach every process it started; a kill of the CLI
        # alone (what SIGKILL by an operator or the OOM killer does) leaves its children running.
        self.proc = subprocess.Popen(CLI, cwd=REPO, env=ws.env() | (extra_env or {}), stdout=self._out, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def children(self) -> list[tuple[int, str]]:
        """(pid, command line) of the CLI's child processes."""
        try:
            pids = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            return []
        found = []
        for pid in pids:
            try:
                found.append((int(pid), Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()))
            except OSError:
                pass
        return found

    def dbt_build(self) -> int | None:
        """The pid of the CLI's `dbt build` child (INVENTORY_DBT_IN_PROCESS=0)."""
        return next((pid for pid, cmd in self.children() if "dbt" in cmd and " build" in cmd), None)

    def dbt_building_in_process(self) -> bool:
        """Whether dbt, in the CLI's own process, has run a model of a build it has not finished: its
        invocation folder (transform/dbt_in_process.py) holds executed SQL but no run_results.json yet."""
        return any((folder / "run").is_dir() and not (folder / "run_results.json").exists()
                   for folder in (DBT_PROJECT_DIR / "target").glob(f"in-process-{self.proc.pid}-*"))

    def wait_for(self, condition: Callable[[], object], timeout_s: float, what: str) -> object:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            if self.proc.poll() is not None:
                raise AssertionError(f"materialize exited ({self.proc.returncode}) before {what}:\n{self.output()[-3000:]}")
            time.sleep(0.05)
        raise AssertionError(f"no {what} within {timeout_s} s:\n{self.output()[-3000:]}")

    def sigkill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._out.close()

    def finish(self, timeout_s: float) -> int:
        """Exit code; a run still going after timeout_s is killed (whole session) and reported as a hang."""
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired as hang:
            kill_session(self.proc.pid)
            raise AssertionError(f"materialize hung: still running after {timeout_s} s\n{self.output()[-3000:]}") from hang
        finally:
            self._out.close()


def kill_session(sid: int) -> None:
    """SIGKILL every process of a session a test started (the CLI and whatever it left behind)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == sid:
                    os.kill(int(entry.name), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
