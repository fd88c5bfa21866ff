"""Run a platform command as a child process and measure it: wall time and peak resident memory."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Measured:
    wall_s: float
    peak_rss_mb: float  # the largest single process of the child's tree (the child or any descendant)
    returncode: int
    log: Path

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def run_measured(command: list[str], env: dict[str, str], log: Path, cwd: Path | None = None) -> Measured:
    """Run to completion; stdout and stderr go to `log`. The peak is the largest VmHWM (the high-water mark of
    a process's memory since its exec) of the child and its descendants (dbt and its DuckDB run as
    grandchildren), read every POLL_SECONDS: one process at a time, not their sum. Not wait4's ru_maxrss: Linux
    carries a process's RSS at fork into its child's, so a child forked from a bench process that had run
    DuckDB queries (2.5 GB) reported that, whatever it used itself."""
    log.parent.mkdir(parents=True, exist_ok=True)
    peak_kb = 0
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        while True:
            peak_kb = max([peak_kb, *(high_water_kb(pid) for pid in process_tree(proc.pid))])
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(POLL_SECONDS)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(round(wall, 2), round((peak_kb or usage.ru_maxrss) / 1024, 1), proc.returncode, log)


def process_tree(root: int) -> list[int]:
    """`root` and every process descending from it, from /proc (empty where there is none)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc") if os.path.isdir("/proc") else ():
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:  # exited meanwhile
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def high_water_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
