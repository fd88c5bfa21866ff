"""The bench's peak memory of a child process is the child tree's own, not the bench process's."""

from __future__ import annotations

import sys

from inventory_platform.bench.child_process import run_measured

MB = 1 << 20


def test_a_small_child_of_a_large_parent_is_measured_small(tmp_path):
    ballast = bytearray(400 * MB)  # the bench process after in-process DuckDB queries
    ballast[::4096] = b"x" * len(ballast[::4096])
    measured = run_measured([sys.executable, "-c", "import time; time.sleep(0.5)"], {}, tmp_path / "small.log")
    assert measured.returncode == 0
    assert measured.peak_rss_mb < 150, measured.peak_rss_mb  # wait4's ru_maxrss said > 400 here
    del ballast


def test_a_grandchild_that_grows_is_the_peak(tmp_path):
    grandchild = "x = bytearray(300 << 20); x[::4096] = b'y' * len(x[::4096]); import time; time.sleep(0.5)"
    child = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}], check=True)"
    measured = run_measured([sys.executable, "-c", child], {}, tmp_path / "grandchild.log")
    assert measured.returncode == 0, measured.tail()
    assert 300 <= measured.peak_rss_mb < 450, measured.peak_rss_mb
