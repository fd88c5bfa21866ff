"""Starting the dashboard (`inventory-platform dashboard`) and, with `inventory-platform dev` (`make dev`), the
dashboard beside `dagster dev` (both on 127.0.0.1) and, locally, the CDC applier (`inventory-platform stream
apply`, inventory_platform/cdc/applier.py), which merges streamed Bronze rows into Silver and Gold: all
stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from inventory_platform.settings import REPO_ROOT

APP = Path(__file__).with_name("app.py")


def streamlit_command(port: int) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", "127.0.0.1",
            "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none", "--client.toolbarMode", "viewer", "--theme.base", "light"]


def dagster_dev_command(port: int) -> list[str]:
    return [str(Path(sys.executable).with_name("dagster")), "dev", "-w", str(REPO_ROOT / "workspace.yaml"),
            "-h", "127.0.0.1", "-p", str(port)]


def serve_dashboard(port: int) -> None:
    """Replace this process with the Streamlit server."""
    command = streamlit_command(port)
    os.execv(command[0], command)


def applier_command() -> list[str]:
    return [sys.executable, "-m", "inventory_platform.cli", "stream", "apply"]


def serve_both(dagster_port: int, dashboard_port: int, applier_log: Path | None = None) -> int:
    """The Dagster UI and the dashboard, each in its own process group, and the CDC applier (its output to
    applier_log) when one is given; Ctrl-C or SIGTERM stops them all, and so does any one exiting. Returns
    the exit code of the first to stop."""
    env = {**os.environ, "INVENTORY_DASHBOARD_PORT": str(dashboard_port),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    children = [subprocess.Popen(command, cwd=REPO_ROOT, env=env, start_new_session=True)
                for command in (dagster_dev_command(dagster_port), streamlit_command(dashboard_port))]
    print(f"Dagster UI: http://127.0.0.1:{dagster_port}    dashboard: http://127.0.0.1:{dashboard_port}", flush=True)
    if applier_log is not None:
        applier_log.parent.mkdir(parents=True, exist_ok=True)
        children.append(subprocess.Popen(applier_command(), cwd=REPO_ROOT, env=env, start_new_session=True,
                                         stdout=applier_log.open("a"), stderr=subprocess.STDOUT))
        print(f"CDC applier: streamed Bronze rows into Silver and Gold as they arrive (log: {applier_log})", flush=True)

    def stop(*_args) -> None:
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGINT)  # dagster dev stops its webserver and daemon on SIGINT

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = os.wait()[1]
        stop()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        return os.waitstatus_to_exitcode(code)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
