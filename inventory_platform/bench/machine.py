"""What the numbers were measured on."""

from __future__ import annotations

import os
import platform
import resource
from datetime import UTC, datetime

import duckdb


def describe_machine() -> dict:
    mem_kb = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor() or platform.machine())
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "duckdb": duckdb.__version__, "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            # other work on the machine slows every number down: recorded so a reader can tell a busy run
            "load_average_1m": round(os.getloadavg()[0], 2)}


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
