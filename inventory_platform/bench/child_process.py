"""Run a platform command as a child process and measure it: wall time and peak resident memory."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    wall_s: float
    peak_rss_mb: float  # the largest single process of the child's tree (the child or a descendant it waited for)
    returncode: int
    log: Path

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def run_measured(command: list[str], env: dict[str, str], log: Path, cwd: Path | None = None) -> Measured:
    """Run to completion; stdout and stderr go to `log`. ru_maxrss from wait4 covers the child and every
    descendant it reaped (dbt and its DuckDB run as grandchildren), one process at a time, not their sum."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(round(wall, 2), round(usage.ru_maxrss / 1024, 1), proc.returncode, log)
